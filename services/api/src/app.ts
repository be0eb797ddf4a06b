import { Hono } from 'hono';

/**
 * The API service's Hono app. This is the skeleton the agent is proven on; the
 * payments routes on PostgreSQL and Redis arrive with the services issue.
 */
export const app = new Hono();

app.get('/', (c) => c.json({ service: 'api', version: '0.1.0' }));
