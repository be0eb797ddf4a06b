// The app every benchmark scenario runs: a small Hono service, as bare as the
// services it stands for (routing, a path parameter, JSON). No observability code.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.get('/', (c) => c.text('ok'));
app.get('/payments/:id', (c) => c.json({ id: c.req.param('id'), amount: '1.00', currency: 'USDC' }));
app.post('/payments', async (c) => c.json(await c.req.json(), 201));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3100), hostname: '127.0.0.1' });
