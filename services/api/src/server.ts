import { serve } from '@hono/node-server';
import { app } from './app.js';
import { readServiceConfig } from './config.js';

const { port } = readServiceConfig();
const server = serve({ fetch: app.fetch, port, hostname: process.env.HOST ?? '127.0.0.1' }, (info) => {
  process.stderr.write(`api listening on http://${info.address}:${info.port}\n`);
});

function stop(): void {
  server.close();
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
