import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Server } from 'socket.io';
import type { TrustProxy } from '../config/config.ts';

/**
 * Whether the address `hop` steps from this server (0 = the peer of the TCP connection) is one of
 * our reverse proxies, whose X-Forwarded-For entry can be believed. Fastify's `trustProxy` function.
 */
export type ProxyTrust = (address: string, hop: number) => boolean;

/** TRUST_PROXY as a trust function; false when clients connect directly (X-Forwarded-For is ignored). */
export function proxyTrust(setting: TrustProxy): ProxyTrust | false {
  if (setting === false) return false;
  if ('hops' in setting) return (_address, hop) => hop < setting.hops;
  const proxies = new BlockList();
  for (const subnet of setting.subnets) proxies.addSubnet(subnet.address, subnet.prefix, subnet.family);
  // BlockList matches an IPv4-mapped IPv6 peer (::ffff:10.0.0.1) against IPv4 subnets too.
  return (address) => isIP(address) !== 0 && proxies.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The client's address, the way Fastify's `request.ip` finds it: X-Forwarded-For is read from the
 * nearest hop outwards for as long as the hop is a trusted proxy.
 */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust | false): string {
  const peer = request.socket.remoteAddress ?? 'unknown';
  if (!trust) return peer;
  const header = request.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const hops = [peer, ...forwarded.reverse()];
  let hop = 0;
  while (hop < hops.length - 1 && trust(hops[hop]!, hop)) hop++;
  return hops[hop]!;
}

/**
 * Makes `socket.handshake.address` the client's address in every namespace created afterwards,
 * proxies resolved exactly like HTTP requests (per-address limits would otherwise see only the proxy).
 */
export function resolveSocketAddresses(io: Server, trust: ProxyTrust | false): void {
  if (!trust) return;
  io.on('new_namespace', (namespace) =>
    namespace.use((socket, next) => {
      socket.handshake.address = clientAddress(socket.request, trust);
      next();
    }),
  );
}
