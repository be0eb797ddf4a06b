import { Hono } from 'hono';

/**
 * The Facilitator service's Hono app. This is the skeleton the agent is proven on;
 * verify and settle over JSON-RPC arrive with the services issue.
 */
export const app = new Hono();

app.get('/', (c) => c.json({ service: 'facilitator', version: '0.1.0' }));
