import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { REDACTED, scrubAttributesInPlace, scrubString, scrubValue } from '../scrub.js';

/**
 * The first processor of the agent's logger provider: every log record, whoever emitted
 * it (the agent's own lines, the service logger, the access log, or an app's own
 * `pino()` logger through instrumentation-pino), passes the scrubber that spans and
 * Sentry events pass before the batch processor takes it. Secret-named fields at any
 * depth, key-shaped values and credentials in URLs do not leave the process, whatever
 * the app wrote to its own stdout. The record is still writable here (sdk-logs makes it
 * read-only after the processors' `onEmit`). Never throws.
 */
export class ScrubbingLogRecordProcessor implements LogRecordProcessor {
  /** Records seen: the exit flush sends only when some came since it last sent. */
  emitted = 0;

  onEmit(record: ReadWriteLogRecord, _context?: Context): void {
    this.emitted++;
    try {
      scrubAttributesInPlace(record.attributes as Record<string, unknown>);
      const body: unknown = record.body;
      if (typeof body === 'string') {
        const scrubbed = scrubString(body);
        if (scrubbed !== body) record.setBody(scrubbed);
      } else if (body !== null && typeof body === 'object') record.setBody(scrubValue(body) as typeof record.body);
    } catch {
      // What could not be scrubbed does not leave as it was.
      try {
        for (const key in record.attributes) (record.attributes as Record<string, unknown>)[key] = REDACTED;
        record.setBody(REDACTED);
      } catch {
        // nothing more to do
      }
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
