// Issue 17, who the customer is: the shop signs a token for its signed-in customer, the /chat
// handshake verifies it (HS256, RS256 with a public key, RS256 from a JWKS URL), and the claims are
// stored with the first message, shown to agents, and never let one customer into another's chat.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, queryEmbedded, request, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';
import { api, createAgent, login, testPrisma } from '../agents/helpers.ts';

const CUSTOMER_SECRET = 'the shop signs its customers with this key';
const ISSUER = 'https://shop.example.com';
const AUDIENCE = 'frontdesk';
const [hsDir, rsDir, jwksDir, plainDir] = [temporaryDirectory(), temporaryDirectory(), temporaryDirectory(), temporaryDirectory()];
const rsKeys = await generateKeyPair('RS256', { extractable: true });
const jwksKeys = await generateKeyPair('RS256', { extractable: true });
const JWKS_KID = 'shop-2026';

let hs: RunningServer; // HS256 with issuer and audience; the database every server shares
let rs: RunningServer; // RS256 with a PEM public key
let jwks: RunningServer; // RS256 from a JWKS URL
let plain: RunningServer; // no customer tokens configured
let keySet: Server;
let prisma: PrismaClient;
let agentToken: string;
const connections: VisitorConnection[] = [];

const sql = (text: string, values: unknown[] = []) => queryEmbedded(hsDir.path, text, values);
const rowCounts = async () => (await sql('SELECT (SELECT count(*) FROM "Visitor")::int AS visitors, (SELECT count(*) FROM "Conversation")::int AS conversations'))[0];
const customerOf = async (conversationId: string) =>
  (await sql('SELECT "customerId", "customerEmail", "customerName" FROM "Conversation" WHERE id = $1', [conversationId]))[0];

type Claims = { sub?: string; email?: string; name?: string };
const A: Claims = { sub: 'customer-a', email: 'ada@example.com', name: 'Ada Lovelace' };
const B: Claims = { sub: 'customer-b', email: 'bob@example.com', name: 'Bob Byte' };

/** A customer token as the shop signs it; `change` spoils one part of it. */
function hsToken(claims: Claims, change: { secret?: string; expiresAt?: number | string; audience?: string } = {}) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(change.audience ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(change.expiresAt ?? '10m')
    .sign(new TextEncoder().encode(change.secret ?? CUSTOMER_SECRET));
}

async function connect(url: string, auth: Record<string, unknown>): Promise<VisitorConnection> {
  const connection = await connectVisitor(url, auth);
  connections.push(connection);
  return connection;
}

async function refusal(url: string, auth: Record<string, unknown>): Promise<{ message: string; code: string | undefined }> {
  const error = await connect(url, auth).then(
    () => assert.fail('the handshake was accepted'),
    (error: Error & { data?: { code?: string; message?: string } }) => error,
  );
  return { message: error.data?.message ?? '', code: error.data?.code };
}

before(async () => {
  ({ server: hs } = await startTestServer({ DATA_DIR: hsDir.path, CUSTOMER_TOKEN_SECRET: CUSTOMER_SECRET, CUSTOMER_TOKEN_ISSUER: ISSUER, CUSTOMER_TOKEN_AUDIENCE: AUDIENCE }));
  prisma = testPrisma(hsDir.path);
  await createAgent(prisma, { email: 'anna@example.com', name: 'Anna', password: 'anna password 1' });
  agentToken = await login(hs.url, 'anna@example.com', 'anna password 1');

  keySet = createServer(async (_request, response) => {
    const jwk = { ...(await exportJWK(jwksKeys.publicKey)), kid: JWKS_KID, alg: 'RS256', use: 'sig' };
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((resolve) => keySet.listen(0, '127.0.0.1', resolve));
  const keySetUrl = `http://127.0.0.1:${(keySet.address() as AddressInfo).port}/.well-known/jwks.json`;

  // The other servers share the first one's database.
  const shared = { DATABASE_URL: embeddedDatabaseUrl(hsDir.path), SCALE_OUT: 'off' };
  ({ server: rs } = await startTestServer({ DATA_DIR: rsDir.path, ...shared, CUSTOMER_TOKEN_PUBLIC_KEY: await exportSPKI(rsKeys.publicKey) }));
  ({ server: jwks } = await startTestServer({ DATA_DIR: jwksDir.path, ...shared, CUSTOMER_TOKEN_JWKS_URL: keySetUrl }));
  ({ server: plain } = await startTestServer({ DATA_DIR: plainDir.path, ...shared }));
});

after(async () => {
  for (const { socket } of connections) socket.close();
  await prisma?.$disconnect();
  for (const server of [plain, jwks, rs]) await server?.close();
  await new Promise((resolve) => keySet?.close(resolve));
  await hs?.close();
  for (const dir of [hsDir, rsDir, jwksDir, plainDir]) dir.remove();
});

describe('a verified customer', () => {
  test('HS256: the handshake writes nothing; the first message stores the claims, and agents see them', async () => {
    const before = await rowCounts();
    const { socket, session } = await connect(hs.url, { customerToken: await hsToken(A), name: 'Ada (as the page says)' });
    assert.deepEqual(await rowCounts(), before, 'the handshake stores nothing');

    await ask(socket, 'where is my order');
    assert.deepEqual(await customerOf(session.conversationId), { customerId: A.sub, customerEmail: A.email, customerName: A.name });
    const transcript = await api(hs.url, `/api/agent/conversations/${session.conversationId}`, { token: agentToken });
    assert.equal(transcript.status, 200);
    assert.deepEqual(transcript.body.conversation.visitor.customer, { id: A.sub, email: A.email, name: A.name });
    assert.equal(transcript.body.conversation.visitor.name, 'Ada (as the page says)', "the page's own say stays apart from the verified claims");
  });

  test('RS256 with a configured public key', async () => {
    const token = await new SignJWT({ email: 'carla@example.com' }).setProtectedHeader({ alg: 'RS256' }).setSubject('customer-c').setExpirationTime('5m').sign(rsKeys.privateKey);
    const { socket, session } = await connect(rs.url, { customerToken: token });
    await ask(socket, 'hello');
    assert.deepEqual(await customerOf(session.conversationId), { customerId: 'customer-c', customerEmail: 'carla@example.com', customerName: null });
  });

  test('RS256 from the key set at CUSTOMER_TOKEN_JWKS_URL', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: JWKS_KID }).setSubject('customer-d').setExpirationTime('5m').sign(jwksKeys.privateKey);
    const { socket, session } = await connect(jwks.url, { customerToken: token });
    await ask(socket, 'hello');
    assert.equal((await customerOf(session.conversationId)).customerId, 'customer-d');

    // The same key id with a key the shop does not have.
    const forged = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: JWKS_KID }).setSubject('customer-d').setExpirationTime('5m').sign(rsKeys.privateKey);
    assert.equal((await refusal(jwks.url, { customerToken: forged })).code, 'INVALID_CUSTOMER_TOKEN');
  });
});

describe('a token that cannot be verified refuses the handshake with INVALID_CUSTOMER_TOKEN', () => {
  test('forged, expired, for another audience, unsigned, malformed, or an HS256 token keyed with the RSA public key', async () => {
    const before = await rowCounts();
    const publicPem = await exportSPKI(rsKeys.publicKey);
    const refused: Record<string, [url: string, token: string]> = {
      forged: [hs.url, await hsToken(A, { secret: 'not the shop but someone guessing its key' })],
      expired: [hs.url, await hsToken(A, { expiresAt: Math.floor(Date.now() / 1000) - 120 })],
      'wrong audience': [hs.url, await hsToken(A, { audience: 'another-app' })],
      'alg none': [hs.url, new UnsecuredJWT({ ...A }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('10m').encode()],
      malformed: [hs.url, 'not.a.jwt'],
      'algorithm confusion': [rs.url, await new SignJWT({ ...A }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(publicPem))],
    };
    for (const [what, [url, customerToken]] of Object.entries(refused)) {
      const { code, message } = await refusal(url, { customerToken });
      assert.equal(code, 'INVALID_CUSTOMER_TOKEN', what);
      assert.ok(!message.includes(customerToken) && !message.includes(CUSTOMER_SECRET), `${what}: the refusal repeats no secret`);
    }
    assert.deepEqual(await rowCounts(), before);
    // What the widget does next: the same visitor connects without the token and chats anonymously.
    const anonymous = await connect(hs.url, {});
    assert.equal((await ask(anonymous.socket, 'hello')).ack.ok, true);
  });

  test('a server without CUSTOMER_TOKEN_* refuses every customer token, and says why', async () => {
    const { code, message } = await refusal(plain.url, { customerToken: await hsToken(A) });
    assert.equal(code, 'INVALID_CUSTOMER_TOKEN');
    assert.match(message, /not configured/);
  });
});

describe("one customer never continues another's conversation", () => {
  test("customer B, or nobody, with A's visitor token starts anew; A still resumes", async () => {
    const a = await connect(hs.url, { customerToken: await hsToken(A) });
    await ask(a.socket, 'where is my order');
    a.socket.close();

    for (const [who, auth] of [['customer B', { customerToken: await hsToken(B) }], ['an anonymous visitor', {}]] as const) {
      const other = await connect(hs.url, { ...auth, visitorToken: a.session.visitorToken });
      assert.notEqual(other.session.conversationId, a.session.conversationId, who);
      assert.notEqual(other.session.visitorToken.split('.')[1], a.session.visitorToken.split('.')[1], `${who} is a new visitor`);
      assert.deepEqual((await request(other.socket, 'history')).messages, [], who);
      assert.equal((await request(other.socket, 'history', { conversationId: a.session.conversationId })).error.code, 'UNKNOWN_CONVERSATION', who);
      other.socket.close();
    }

    const again = await connect(hs.url, { customerToken: await hsToken(A), visitorToken: a.session.visitorToken });
    assert.equal(again.session.conversationId, a.session.conversationId);
    assert.deepEqual((await request(again.socket, 'history')).messages.map((message: { role: string }) => message.role), ['visitor', 'bot']);

    // Resolved, A's conversation stays A's: B does not get it as the previous conversation either.
    assert.equal((await request(again.socket, 'csat', { score: 5 })).ok, true);
    const b = await connect(hs.url, { customerToken: await hsToken(B), visitorToken: again.session.visitorToken });
    assert.equal(b.session.previousConversationId, undefined);
  });

  test('a visitor who signs in keeps the anonymous conversation, which becomes theirs', async () => {
    const anonymous = await connect(hs.url, {});
    await ask(anonymous.socket, 'hello');
    anonymous.socket.close();
    const signedIn = await connect(hs.url, { customerToken: await hsToken(B), visitorToken: anonymous.session.visitorToken });
    assert.equal(signedIn.session.conversationId, anonymous.session.conversationId);
    await ask(signedIn.socket, 'where is my order');
    assert.equal((await customerOf(signedIn.session.conversationId)).customerId, B.sub);
  });

  test('two tabs that share a conversation id before either wrote: the second customer\'s message is refused', async () => {
    // A token is handed out at the handshake; the conversation id it names is the same in every tab until one writes.
    const { session } = await connect(hs.url, {});
    const tabA = await connect(hs.url, { customerToken: await hsToken(A), visitorToken: session.visitorToken });
    const tabB = await connect(hs.url, { customerToken: await hsToken(B), visitorToken: session.visitorToken });
    assert.equal(tabA.session.conversationId, tabB.session.conversationId);
    await ask(tabA.socket, 'hello');
    const ack = await request(tabB.socket, 'message', { clientId: 'from-b', text: 'where is my order' });
    assert.equal(ack.error?.code, 'CONFLICT');
    assert.deepEqual(await sql('SELECT id FROM "Message" WHERE "clientId" = $1', ['from-b']), []);
    assert.equal((await customerOf(tabA.session.conversationId)).customerId, A.sub);
  });
});
