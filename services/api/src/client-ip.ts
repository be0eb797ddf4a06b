import { isIP } from 'node:net';

/**
 * The client's IP address. Without trusted proxies it is the socket's peer, whatever
 * `X-Forwarded-For` says (anyone can send that header). With `trustedHops` proxies in
 * front, it is the address the outermost trusted proxy saw: the `trustedHops`-th entry
 * from the right of `X-Forwarded-For` (each proxy appends the address it saw), as
 * Express's numeric `trust proxy` does. A malformed entry falls back to the socket.
 */
export function clientIp(socketAddress: string | undefined, forwardedFor: string | undefined, trustedHops: number): string {
  const peer = normalize(socketAddress ?? '') || 'unknown';
  if (trustedHops === 0 || forwardedFor === undefined) return peer;
  const hops = forwardedFor.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  if (hops.length === 0) return peer;
  const candidate = normalize(hops[Math.max(hops.length - trustedHops, 0)]!);
  return isIP(candidate) === 0 ? peer : candidate;
}

/** IPv4 addresses arriving on an IPv6 socket (`::ffff:10.0.0.1`) are keyed as IPv4. */
function normalize(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}
