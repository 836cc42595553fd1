// Issue 14, finding 4: sign-in limits must not let a stranger lock agents out. Only failures count;
// the per-account limit is per (email, address), so a correct password from an address that is not
// itself failing still signs in; TRUST_PROXY makes the address the client's, not the proxy's.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect } from 'socket.io-client';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { clientAddress, proxyTrust, resolveSocketAddresses } from '../../src/gateway/client-address.ts';
import { api, startAgentTestServer, type AgentTestServer } from './helpers.ts';

const ann = { email: 'ann@example.com', name: 'Ann', password: 'ann password 1' };
const bob = { email: 'bob@example.com', name: 'Bob', password: 'bob password 1' };
const cleo = { email: 'cleo@example.com', name: 'Cleo', password: 'cleo password 1' };

function signIn(url: string, email: string, password: string, from: string) {
  return api(url, '/api/agent/login', { body: { email, password }, headers: { 'x-forwarded-for': from } });
}

describe('sign-in limits behind a trusted proxy', () => {
  let env: AgentTestServer;
  let url: string;

  before(async () => {
    // The test's requests come from 127.0.0.1, the "proxy"; X-Forwarded-For names the client.
    env = await startAgentTestServer([ann, bob, cleo], { TRUST_PROXY: '127.0.0.0/8' });
    url = env.url;
  });

  after(() => env?.close());

  test('a stranger’s wrong guesses do not lock the owner out; the stranger is limited', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) statuses.push((await signIn(url, ann.email, `wrong guess ${attempt}`, '203.0.113.7')).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
    assert.deepEqual(statuses.slice(10), [429, 429]);
    // The stranger's address stays limited for this account, even with the right password…
    assert.equal((await signIn(url, ann.email, ann.password, '203.0.113.7')).status, 429);
    // …while the owner, from an address that is not failing, signs in.
    const owner = await signIn(url, ann.email, ann.password, '198.51.100.20');
    assert.equal(owner.status, 200, JSON.stringify(owner.body));
  });

  test('successful sign-ins do not count against the address', async () => {
    // Behind one NAT or office proxy, agents sign in again and again from one address.
    for (let attempt = 0; attempt < 105; attempt++) {
      const { status } = await signIn(url, bob.email, bob.password, '198.51.100.30');
      assert.equal(status, 200, `sign-in ${attempt + 1}`);
    }
  });

  test('one address failing against many accounts is limited', async () => {
    let firstLimited = -1;
    for (let attempt = 0; attempt < 101 && firstLimited < 0; attempt++) {
      const { status } = await signIn(url, `nobody${attempt}@example.com`, 'not a password', '192.0.2.50');
      if (status === 429) firstLimited = attempt;
      else assert.equal(status, 401);
    }
    assert.equal(firstLimited, 100);
    assert.equal((await signIn(url, cleo.email, cleo.password, '192.0.2.50')).status, 429);
    assert.equal((await signIn(url, cleo.email, cleo.password, '192.0.2.51')).status, 200);
  });
});

describe('TRUST_PROXY', () => {
  test('is validated: off, a number of proxies, or addresses and subnets', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: 'off' }).trustProxy, false);
    assert.deepEqual(loadConfig({ TRUST_PROXY: '2' }).trustProxy, { hops: 2 });
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.0/8, ::1' }).trustProxy, {
      subnets: [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '::1', prefix: 128, family: 'ipv6' },
      ],
    });
    for (const wrong of ['true', 'proxy.example.com', '10.0.0.0/33', '10.0.0.1/x', '::1/129']) {
      assert.throws(() => loadConfig({ TRUST_PROXY: wrong }), (error: unknown) => error instanceof ConfigError && /TRUST_PROXY/.test(error.message), wrong);
    }
  });

  test('the client address: X-Forwarded-For is read only through trusted proxies', () => {
    const from = (peer: string, forwardedFor?: string) => ({ socket: { remoteAddress: peer }, headers: forwardedFor ? { 'x-forwarded-for': forwardedFor } : {} }) as unknown as IncomingMessage;
    const subnets = proxyTrust(loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy);
    // No proxy trusted: the header is the client's word, and ignored.
    assert.equal(clientAddress(from('203.0.113.1', '198.51.100.1'), proxyTrust(false)), '203.0.113.1');
    // A direct client not in the trusted subnets cannot pretend to be someone else.
    assert.equal(clientAddress(from('203.0.113.1', '198.51.100.1'), subnets), '203.0.113.1');
    // Through our proxy (also as an IPv4-mapped peer), the nearest untrusted hop is the client.
    assert.equal(clientAddress(from('10.1.2.3', '198.51.100.1'), subnets), '198.51.100.1');
    assert.equal(clientAddress(from('::ffff:10.1.2.3', '198.51.100.1'), subnets), '198.51.100.1');
    assert.equal(clientAddress(from('10.1.2.3', 'forged, 198.51.100.1, 10.9.9.9'), subnets), '198.51.100.1');
    assert.equal(clientAddress(from('10.1.2.3'), subnets), '10.1.2.3');
    // A hop count trusts that many proxies, whatever their addresses.
    const oneHop = proxyTrust(loadConfig({ TRUST_PROXY: '1' }).trustProxy);
    assert.equal(clientAddress(from('172.16.0.1', 'forged, 198.51.100.1'), oneHop), '198.51.100.1');
  });

  test('a Socket.IO connection gets the same client address as an HTTP request', async () => {
    const http = createServer();
    const io = new Server(http);
    resolveSocketAddresses(io, proxyTrust(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy));
    io.of('/probe').on('connection', (socket) => socket.emit('address', socket.handshake.address));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const socket = connect(`http://127.0.0.1:${(http.address() as AddressInfo).port}/probe`, {
      transports: ['websocket'],
      extraHeaders: { 'x-forwarded-for': '198.51.100.77' },
      reconnection: false,
      forceNew: true,
    });
    try {
      const address = await new Promise((resolve, reject) => {
        socket.once('address', resolve);
        socket.once('connect_error', reject);
      });
      assert.equal(address, '198.51.100.77');
    } finally {
      socket.close();
      await new Promise((resolve) => io.close(resolve));
    }
  });
});
