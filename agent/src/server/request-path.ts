import type { IncomingMessage } from 'node:http';
import { scrubUrl } from '../scrub.js';
import type { ServerRequestState } from './request-state.js';

/**
 * The path of a request as the agent records it (span `url.path`, access-log `path`): no
 * query, an API key in the path scrubbed (`/v2/<key>`). Worked out once per request and
 * kept on its state, for whichever of the span and the access log asks first.
 */
export function requestPath(req: IncomingMessage, state: ServerRequestState): string {
  if (state.path === undefined) {
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    state.path = scrubUrl(queryAt === -1 ? url : url.slice(0, queryAt));
  }
  return state.path;
}
