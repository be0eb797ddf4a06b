import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchWriteHeadForRequestId, RESPONSE_REQUEST_ID } from '../../../agent/src/server/request-id-header.js';
import { closeServer, listenOnLoopback } from '../../helpers/loopback-server.js';

const handlers: Record<string, (res: ServerResponse) => void> = {
  '/object': (res) => res.writeHead(201, { 'content-type': 'text/plain', 'x-app': ['a', 'b'] }).end('o'),
  '/reason-array': (res) => res.writeHead(200, 'Fine', ['content-type', 'text/plain']).end('r'),
  '/nested-array': (res) => res.writeHead(200, [['content-type', 'text/plain']]).end('n'),
  '/implicit': (res) => {
    res.setHeader('content-type', 'text/plain');
    res.end('i');
  },
  '/app-sets-id': (res) => res.writeHead(200, { 'X-Request-Id': 'from-the-app' }).end('a'),
};

describe('patchWriteHeadForRequestId', () => {
  let url: string;
  let undo: () => void;
  const server = createServer((req, res) => {
    (res as ServerResponse & { [RESPONSE_REQUEST_ID]?: string })[RESPONSE_REQUEST_ID] = 'id-123';
    handlers[req.url ?? '']!(res);
  });
  beforeAll(async () => {
    undo = patchWriteHeadForRequestId('x-request-id');
    url = await listenOnLoopback(server);
  });
  afterAll(async () => {
    undo();
    await closeServer(server);
  });

  it.each(['/object', '/reason-array', '/nested-array', '/implicit'])('adds the id to %s and keeps the other headers', async (path) => {
    const res = await fetch(url + path);
    expect(res.headers.get('x-request-id')).toBe('id-123');
    expect(res.headers.get('content-type') ?? res.headers.get('x-app')).toBeTruthy();
    if (path === '/object') {
      expect(res.status).toBe(201);
      expect(res.headers.get('x-app')).toBe('a, b');
    }
    if (path === '/reason-array') expect(res.statusText).toBe('Fine');
  });

  it('leaves an id the app sets itself', async () => {
    expect((await fetch(`${url}/app-sets-id`)).headers.get('x-request-id')).toBe('from-the-app');
  });
});
