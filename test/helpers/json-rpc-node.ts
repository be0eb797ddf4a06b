import { createServer } from 'node:http';
import { closeServer, listenOnLoopback } from './loopback-server.js';

/** A JSON-RPC 2.0 peer on loopback that answers like an Ethereum node, for a remote node the tests cannot reach. */
export interface JsonRpcNode {
  readonly url: string;
  /** Paths and bodies of every request received. */
  readonly received: Array<{ path: string; body: string; headers: Record<string, string | string[] | undefined> }>;
  close(): Promise<void>;
}

const RESULTS: Record<string, unknown> = {
  eth_blockNumber: '0x10',
  eth_chainId: '0x7a69',
  eth_sendRawTransaction: `0x${'ab'.repeat(32)}`,
};

/** Starts the peer; any path is accepted (providers put keys in it). */
export async function startJsonRpcNode(): Promise<JsonRpcNode> {
  const received: JsonRpcNode['received'] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ path: req.url ?? '', body, headers: req.headers });
    const answer = (call: { id?: unknown; method?: string }): unknown =>
      call.method !== undefined && call.method in RESULTS
        ? { jsonrpc: '2.0', id: call.id ?? null, result: RESULTS[call.method] }
        : { jsonrpc: '2.0', id: call.id ?? null, error: { code: -32601, message: 'Method not found' } };
    let payload: unknown;
    try {
      const parsed = JSON.parse(body) as unknown;
      payload = Array.isArray(parsed) ? parsed.map(answer) : answer(parsed as { id?: unknown; method?: string });
    } catch {
      payload = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } };
    }
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(payload));
  });
  const url = await listenOnLoopback(server);
  return {
    url,
    received,
    close: () => closeServer(server),
  };
}
