import { describe, expect, it } from 'vitest';
import { jsonRpcMethodOf } from '../../../../agent/src/instrumentations/json-rpc/json-rpc.js';

describe('jsonRpcMethodOf', () => {
  it('reads the method of a single call, from a string or bytes', () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_blockNumber', params: [] });
    expect(jsonRpcMethodOf(body)).toBe('eth_blockNumber');
    expect(jsonRpcMethodOf(new TextEncoder().encode(body))).toBe('eth_blockNumber');
  });

  it('lists the distinct methods of a batch', () => {
    const body = JSON.stringify([
      { jsonrpc: '2.0', id: 1, method: 'eth_call', params: [] },
      { jsonrpc: '2.0', id: 2, method: 'eth_getBalance', params: [] },
      { jsonrpc: '2.0', id: 3, method: 'eth_call', params: [] },
    ]);
    expect(jsonRpcMethodOf(body)).toBe('eth_call,eth_getBalance');
  });

  it('ignores bodies that are not JSON-RPC, streams, and oversized bodies', () => {
    expect(jsonRpcMethodOf('{"method":"not-rpc"}')).toBeUndefined();
    expect(jsonRpcMethodOf(new ReadableStream())).toBeUndefined();
    expect(jsonRpcMethodOf(`{"jsonrpc":"2.0","method":"eth_call","pad":"${'x'.repeat(70_000)}"}`)).toBeUndefined();
    expect(jsonRpcMethodOf('{"jsonrpc":"2.0","method":"bad method with spaces"}')).toBeUndefined();
  });
});
