import type { Server } from 'node:http';

const agentServers = new WeakSet<object>();

/** Marks a server the agent runs itself (the metrics listener): its requests are neither traced nor counted. */
export function markAgentServer(server: Server): void {
  agentServers.add(server);
}

/** True for servers marked with `markAgentServer`. */
export function isAgentServer(server: object): boolean {
  return agentServers.has(server);
}
