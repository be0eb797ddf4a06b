import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback-server.js';

/** A JSON-RPC proxy in front of a real node that can be told to leave some methods unanswered (a node that hangs). */
export interface RpcProxy {
  readonly url: string;
  /** Methods whose calls get no answer until `release()`. */
  hang(...methods: string[]): void;
  /** Answers every method again (calls left hanging stay unanswered). */
  release(): void;
  /** How many calls of `method` arrived. */
  calls(method: string): number;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const hanging = new Set<string>();
  const counts = new Map<string, number>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const calls = [JSON.parse(body) as { method?: string } | Array<{ method?: string }>].flat();
    for (const call of calls) counts.set(call.method ?? '', (counts.get(call.method ?? '') ?? 0) + 1);
    if (calls.some((call) => hanging.has(call.method ?? ''))) return;
    const answer = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(await answer.text());
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    hang: (...methods) => methods.forEach((m) => hanging.add(m)),
    release: () => hanging.clear(),
    calls: (method) => counts.get(method) ?? 0,
    close: () => closeServer(server),
  };
}
