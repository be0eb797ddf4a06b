// The app every benchmark setup runs: a small Hono service (routing, a path parameter,
// JSON). No observability code unless a setup asks for it.
//   BENCH_SHAPE=bare     the routes alone (default)
//   BENCH_SHAPE=service  the same routes behind one async middleware that awaits next() and
//                        then sets a header, with a handler that awaits (a stand-in for a DB
//                        call): the shape of a real service
//   BENCH_METRICS=prom-client  @hono/prometheus registered as its README says
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const shape = process.env.BENCH_SHAPE ?? 'bare';
if (shape !== 'bare' && shape !== 'service') throw new Error(`BENCH_SHAPE must be bare or service, not ${shape}`);

const app = new Hono();

if (process.env.BENCH_METRICS === 'prom-client') {
  // Imported only here, so the other setups do not load prom-client.
  const { prometheus } = await import('@hono/prometheus');
  const { printMetrics, registerMetrics } = prometheus();
  app.use('*', registerMetrics);
  app.get('/metrics', printMetrics);
}

const findPayment = async (id) => ({ id, amount: '1.00', currency: 'USDC' });

if (shape === 'service') {
  app.use('*', async (c, next) => {
    await next();
    c.header('x-served-by', 'bench');
  });
}
app.get('/', (c) => c.text('ok'));
app.get(
  '/payments/:id',
  shape === 'service'
    ? async (c) => c.json(await findPayment(c.req.param('id')))
    : (c) => c.json({ id: c.req.param('id'), amount: '1.00', currency: 'USDC' }),
);
app.post('/payments', async (c) => c.json(await c.req.json(), 201));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3100), hostname: '127.0.0.1' });
