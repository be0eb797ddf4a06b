/**
 * A span for the agent's own hot path (the SERVER span of every request), built for
 * cost: its start attributes are taken as given (the agent builds them from values it
 * validated), it skips the SDK tracer's two sanitising passes and self-metrics, and it
 * hands itself to the span processor at `end()` like any SDK span. Everything a caller
 * can do to it after the start (attributes, events, links, status, exceptions, name,
 * end time) behaves as `@opentelemetry/sdk-trace`'s `SpanImpl` does, through the same
 * `@opentelemetry/core` helpers and limits; a differential test holds the two equal.
 */
import {
  diag,
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanAttributes,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import {
  addHrTimes,
  AddAttributeDecision,
  cleanAttributes,
  cleanSimpleAttributes,
  hrTime,
  hrTimeDuration,
  isTimeInput,
  isTimeInputHrTime,
  maybeAddAttribute,
  millisToHrTime,
  type InstrumentationScope,
} from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanLimits, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace';
import { ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions';

/** The name of the event `recordException` adds (the SDK's `ExceptionEventName`). */
const EXCEPTION_EVENT = 'exception';

/** What every span of one tracer shares. */
export interface LeanSpanShared {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly limits: Required<SpanLimits>;
  readonly processor: SpanProcessor;
}

/** A recording span; see the file comment. */
export class LeanSpan implements Span, ReadableSpan {
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  name: string;
  attributes: Attributes;
  links: Link[] = [];
  events: TimedEvent[] = [];
  status: SpanStatus = { code: SpanStatusCode.UNSET };
  endTime: HrTime = [0, 0];
  private _duration: HrTime = [-1, -1];
  private _ended = false;
  private _attributesCount: number;
  private _droppedAttributesCount = 0;
  private _droppedEventsCount = 0;
  private _droppedLinksCount = 0;
  private readonly _performanceStart: number;
  private readonly _performanceOffset: number;
  private readonly _context: SpanContext;
  private readonly _shared: LeanSpanShared;

  /**
   * `attributes` become the span's own object: valid values only, within the limits,
   * `attributesCount` of them.
   */
  constructor(
    shared: LeanSpanShared,
    spanContext: SpanContext,
    parentSpanContext: SpanContext | undefined,
    name: string,
    kind: SpanKind,
    attributes: Attributes,
    attributesCount: number,
    droppedAttributesCount = 0,
  ) {
    // As the SDK does: start at Date.now(), durations from the monotonic clock.
    const now = Date.now();
    this._performanceStart = performance.now();
    this._performanceOffset = now - (this._performanceStart + performance.timeOrigin);
    this._shared = shared;
    this._context = spanContext;
    this.parentSpanContext = parentSpanContext;
    this.name = name;
    this.kind = kind;
    this.attributes = attributes;
    this._attributesCount = attributesCount;
    this._droppedAttributesCount = droppedAttributesCount;
    this.startTime = millisToHrTime(now);
    this.resource = shared.resource;
    this.instrumentationScope = shared.scope;
  }

  spanContext(): SpanContext {
    return this._context;
  }

  setAttribute(key: string, value?: AttributeValue): this {
    if (this._isEnded()) return this;
    const decision = maybeAddAttribute({
      key,
      value,
      attributes: this.attributes as Record<string, unknown>,
      limits: this._shared.limits,
      currentAttributesCount: this._attributesCount,
    });
    if (decision === AddAttributeDecision.DROP_LIMIT_REACHED) {
      this._droppedAttributesCount++;
      if (this._droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
    } else if (decision === AddAttributeDecision.ADD_NEW) this._attributesCount++;
    return this;
  }

  /**
   * Sets an attribute the agent knows to be valid (a string or number it produced):
   * the count and length limits still apply, the type checks do not.
   */
  setTrustedAttribute(key: string, value: string | number): void {
    const limits = this._shared.limits;
    if (limits.attributeValueLengthLimit !== Infinity || this._ended) {
      this.setAttribute(key, value);
      return;
    }
    const attributes = this.attributes as Record<string, AttributeValue>;
    if (!Object.hasOwn(attributes, key)) {
      if (this._attributesCount >= limits.attributeCountLimit) {
        this._droppedAttributesCount++;
        if (this._droppedAttributesCount === 1) diag.warn('Dropping extra attributes.');
        return;
      }
      this._attributesCount++;
    }
    attributes[key] = value;
  }

  setAttributes(attributes: SpanAttributes): this {
    for (const key in attributes) if (Object.prototype.hasOwnProperty.call(attributes, key)) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrStartTime?: SpanAttributes | TimeInput, timeStamp?: TimeInput): this {
    if (this._isEnded()) return this;
    const { eventCountLimit } = this._shared.limits;
    if (eventCountLimit === 0) {
      diag.warn('No events allowed.');
      this._droppedEventsCount++;
      return this;
    }
    if (eventCountLimit !== undefined && this.events.length >= eventCountLimit) {
      if (this._droppedEventsCount === 0) diag.debug('Dropping extra events.');
      this.events.shift();
      this._droppedEventsCount++;
    }
    if (isTimeInput(attributesOrStartTime)) {
      if (!isTimeInput(timeStamp)) timeStamp = attributesOrStartTime;
      attributesOrStartTime = undefined;
    }
    this.events.push({
      name,
      time: this._getTime(timeStamp),
      ...cleanSimpleAttributes(attributesOrStartTime as Attributes | undefined, {
        attributeCountLimit: this._shared.limits.attributePerEventCountLimit,
        attributeValueLengthLimit: this._shared.limits.attributeValueLengthLimit,
      }),
    });
    return this;
  }

  addLink(link: Link): this {
    if (this._isEnded()) return this;
    const { linkCountLimit } = this._shared.limits;
    if (linkCountLimit === 0) {
      this._droppedLinksCount++;
      return this;
    }
    if (linkCountLimit !== undefined && this.links.length >= linkCountLimit) {
      if (this._droppedLinksCount === 0) diag.debug('Dropping extra links.');
      this.links.shift();
      this._droppedLinksCount++;
    }
    this.links.push({
      context: link.context,
      ...cleanAttributes(link.attributes, {
        attributeCountLimit: this._shared.limits.attributePerLinkCountLimit,
        attributeValueLengthLimit: this._shared.limits.attributeValueLengthLimit,
      }),
    });
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this._isEnded()) return this;
    if (status.code === SpanStatusCode.UNSET) return this;
    if (this.status.code === SpanStatusCode.OK) return this;
    const next: SpanStatus = { code: status.code };
    if (status.code === SpanStatusCode.ERROR) {
      if (typeof status.message === 'string') next.message = status.message;
      else if (status.message != null) diag.warn(`Dropping invalid status.message of type '${typeof status.message}', expected 'string'`);
    }
    this.status = next;
    return this;
  }

  updateName(name: string): this {
    if (this._isEnded()) return this;
    this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this._isEnded()) {
      diag.error(`${this.name} ${this._context.traceId}-${this._context.spanId} - You can only call end() on a span once.`);
      return;
    }
    this.endTime = this._getTime(endTime);
    this._duration = hrTimeDuration(this.startTime, this.endTime);
    if (this._duration[0] < 0) {
      diag.warn('Inconsistent start and end time, startTime > endTime. Setting span duration to 0ms.', this.startTime, this.endTime);
      this.endTime = this.startTime.slice() as HrTime;
      this._duration = [0, 0];
    }
    if (this._droppedEventsCount > 0) diag.warn(`Dropped ${this._droppedEventsCount} events because eventCountLimit reached`);
    if (this._droppedLinksCount > 0) diag.warn(`Dropped ${this._droppedLinksCount} links because linkCountLimit reached`);
    this._ended = true;
    this._shared.processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this._ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (exception) {
      if (exception.code) attributes[ATTR_EXCEPTION_TYPE] = exception.code.toString();
      else if (exception.name) attributes[ATTR_EXCEPTION_TYPE] = exception.name;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE]) this.addEvent(EXCEPTION_EVENT, attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }

  get duration(): HrTime {
    return this._duration;
  }

  get ended(): boolean {
    return this._ended;
  }

  get droppedAttributesCount(): number {
    return this._droppedAttributesCount;
  }

  get droppedEventsCount(): number {
    return this._droppedEventsCount;
  }

  get droppedLinksCount(): number {
    return this._droppedLinksCount;
  }

  /** A time given as input, or now: the SDK's `SpanImpl._getTime`, anchored the same way. */
  private _getTime(input?: TimeInput): HrTime {
    if (typeof input === 'number' && input <= performance.now()) return hrTime(input + this._performanceOffset);
    if (typeof input === 'number') return millisToHrTime(input);
    if (input instanceof Date) return millisToHrTime(input.getTime());
    if (isTimeInputHrTime(input)) return input;
    return addHrTimes(this.startTime, millisToHrTime(performance.now() - this._performanceStart));
  }

  private _isEnded(): boolean {
    if (this._ended) {
      const error = new Error(`Operation attempted on ended Span {traceId: ${this._context.traceId}, spanId: ${this._context.spanId}}`);
      diag.warn(`Cannot execute the operation on ended Span {traceId: ${this._context.traceId}, spanId: ${this._context.spanId}}`, error);
    }
    return this._ended;
  }
}
