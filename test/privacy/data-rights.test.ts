// A visitor's data rights (issue 21): an admin finds a visitor by e-mail, customer id or
// conversation, exports everything stored about them and erases it. Real Postgres, real sockets, two
// server processes on one database (the second in this test process, on DATABASE_URL): after the
// erasure no text column of any table holds anything the visitor wrote or was known by, retrieval
// in both processes stops giving the answer harvested from their conversation, their token is
// refused and their socket on the other process is closed. The CLI does the same.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import type { RunningServer } from '../../src/server.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { credentialsFile } from '../../src/store/database.ts';
import { ChatStore, ConversationErasedError, ConversationTakenError } from '../../src/store/chat-store.ts';
import { agentAnswerSource, KnowledgeStore } from '../../src/store/knowledge-store.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, nextEvent, queryEmbedded, request, startTestServer, temporaryDirectory, type VisitorConnection } from '../helpers/server.ts';
import { frontdesk as runFrontdesk } from '../helpers/cli.ts';
import { api, startAgentTestServer, type AgentTestServer } from '../agents/helpers.ts';

const CUSTOMER_SECRET = 'a customer token secret of at least 32 chars';
const SUBJECT = {
  email: 'anna.subject@example.org',
  name: 'Annabel Subjectova',
  customerId: 'cus_subject_7731',
  customerName: 'Annabel Q. Subjectova',
  page: 'https://subject-shop.example/checkout-7731',
  userAgent: 'SubjectBrowser/7.7.31',
  contact: 'anna.subject@example.org is my contact for the wallet gift',
  question: 'Do you engrave initials on the leather wallets as a gift option?',
  secondVisit: 'Second visit: kiwi-orchard-4417 question about sock sizes',
  answer: 'Hi Annabel Subjectova, yes: we engrave up to three initials on any leather wallet for $9, a lovely gift.',
};
const REWORDED = 'do you engrave initials on leather wallets as a gift?';
/** What the subject wrote or was known by: after the erasure, no text or JSON column may contain any of it. */
const SUBJECT_TEXTS = [SUBJECT.email, SUBJECT.name, SUBJECT.customerId, SUBJECT.customerName, 'subject-shop.example', SUBJECT.userAgent, SUBJECT.contact, SUBJECT.question, 'kiwi-orchard-4417', SUBJECT.answer];
const OTHER = { text: 'Zebra-lantern-9921: is the pan oven safe?', email: 'other.visitor@example.net' };

// The first process (its embedded Postgres, the agents signed in), and a second one on its database.
let first: AgentTestServer;
let second: RunningServer;
const secondDir = temporaryDirectory();
const cliDir = temporaryDirectory();
let prisma: PrismaClient;
let adminToken: string;
let agentToken: string;
let adminId: string;
let sockets: Socket[];

// What the scenario leaves for the tests to check.
let subjectToken: string;
let subjectConversations: string[] = [];
let subjectOnSecond: VisitorConnection;
let otherVisitor: VisitorConnection;
let questionMessageId: string;
let answerId: string;

before(async () => {
  first = await startAgentTestServer(
    [{ email: 'root@example.com', name: 'Root', password: 'root password 1', role: 'admin' }, { email: 'hana@example.com', name: 'Hana', password: 'hana password 1' }],
    { CUSTOMER_TOKEN_SECRET: CUSTOMER_SECRET },
  );
  ({ prisma, sockets } = first);
  [adminToken, agentToken] = first.tokens as [string, string];
  adminId = (await prisma.agent.findUniqueOrThrow({ where: { email: 'root@example.com' } })).id;
  ({ server: second } = await startTestServer({ DATA_DIR: secondDir.path, DATABASE_URL: embeddedDatabaseUrl(first.dataDir), MESSAGE_BURST: '50', MESSAGES_PER_SECOND: '20', CUSTOMER_TOKEN_SECRET: CUSTOMER_SECRET }));
});

after(async () => {
  for (const socket of sockets ?? []) socket.close();
  await second?.close();
  await first?.close();
  secondDir.remove();
  cliDir.remove();
});

function track(connection: VisitorConnection): VisitorConnection {
  sockets.push(connection.socket);
  return connection;
}

function customerToken(): Promise<string> {
  return new SignJWT({ email: SUBJECT.email, name: SUBJECT.customerName })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(SUBJECT.customerId)
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(CUSTOMER_SECRET));
}

async function subjectConnection(url: string, visitorToken?: string): Promise<VisitorConnection> {
  const auth = { customerToken: await customerToken(), name: SUBJECT.name, email: SUBJECT.email, page: SUBJECT.page, ...(visitorToken ? { visitorToken } : {}) };
  return track(await connectVisitor(url, auth, { extraHeaders: { 'user-agent': SUBJECT.userAgent } }));
}

/** Asks on a fresh visitor connection until `done(reply)` holds (index changes arrive asynchronously), bounded. */
async function askUntil(url: string, text: string, done: (reply: any) => boolean): Promise<any> {
  let last: any;
  for (let attempt = 0; attempt < 50; attempt++) {
    const visitor = await connectVisitor(url);
    try {
      last = (await ask(visitor.socket, text)).reply;
    } finally {
      visitor.socket.close();
    }
    if (done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.fail(`no matching reply to "${text}": ${JSON.stringify(last)}`);
}

const sql = <T extends pg.QueryResultRow = any>(text: string, values: unknown[] = []) => queryEmbedded<T>(first.dataDir, text, values);

/** Every text and JSON column of every table in the database, as "table"."column". */
async function textColumns(client?: pg.Client): Promise<Array<{ table: string; column: string }>> {
  const query = `SELECT table_name AS table, column_name AS column FROM information_schema.columns
    WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
    ORDER BY table_name, column_name`;
  return client ? (await client.query(query)).rows : sql(query);
}

/** Where (table.column) any of `needles` occurs, case-insensitively, searching every text and JSON column. */
async function whereFound(needles: readonly string[]): Promise<string[]> {
  const client = new pg.Client({ connectionString: embeddedDatabaseUrl(first.dataDir) });
  await client.connect();
  try {
    const found: string[] = [];
    for (const { table, column } of await textColumns(client)) {
      const { rows } = await client.query<{ needle: string }>(
        `SELECT needle FROM unnest($1::text[]) AS needle WHERE EXISTS (SELECT 1 FROM "${table}" WHERE strpos(lower("${column}"::text), lower(needle)) > 0)`,
        [needles],
      );
      for (const { needle } of rows) found.push(`${table}.${column} holds "${needle}"`);
    }
    return found;
  } finally {
    await client.end();
  }
}

describe('a visitor whose data is exported and erased', () => {
  test('the scenario: two visits, an agent answer harvested and approved, a correction, feedback, CSAT, and another visitor', async () => {
    const subject = await subjectConnection(first.url);
    subjectToken = subject.session.visitorToken;
    await ask(subject.socket, SUBJECT.contact);
    const { ack } = await ask(subject.socket, SUBJECT.question);
    questionMessageId = ack.messageId;
    assert.equal((await request(subject.socket, 'handoff', {})).ok, true);
    const conversation = `/api/agent/conversations/${subject.session.conversationId}`;
    assert.equal((await api(first.url, `${conversation}/take-over`, { method: 'POST', token: agentToken })).status, 200);
    const delivered = nextEvent(subject.socket, 'reply', (reply: any) => reply.source === 'agent');
    assert.equal((await api(first.url, `${conversation}/messages`, { method: 'POST', token: agentToken, body: { text: SUBJECT.answer } })).status, 201);
    const agentReply = await delivered;
    assert.equal((await request(subject.socket, 'feedback', { messageId: agentReply.messageId, rating: 'up' })).ok, true);
    assert.equal((await api(first.url, `/api/agent/messages/${questionMessageId}/label`, { method: 'PUT', token: agentToken, body: { intent: 'oos' } })).status, 200);
    assert.equal((await api(first.url, `${conversation}/resolve`, { method: 'POST', token: agentToken })).status, 200);
    subjectConversations.push(subject.session.conversationId);
    subject.socket.close();

    // The promotion gate froze the labelled question into its evaluation set (as learningSets does).
    await prisma.evaluationExample.create({ data: { id: randomUUID(), text: SUBJECT.question, intent: 'oos', messageId: questionMessageId } });

    // The harvested answer, approved, reaches visitors of both processes.
    let listed: any;
    for (let attempt = 0; attempt < 50 && !listed; attempt++) {
      const pending = await api(first.url, '/api/agent/harvested-answers?status=pending', { token: agentToken });
      listed = pending.body.answers.find((answer: any) => answer.conversationId === subjectConversations[0]);
      if (!listed) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(listed, 'the agent answer was harvested');
    answerId = listed.id;
    assert.equal((await api(first.url, `/api/agent/harvested-answers/${answerId}/approve`, { method: 'POST', token: agentToken, body: {} })).status, 200);
    for (const url of [first.url, second.url]) await askUntil(url, REWORDED, (reply) => reply.retrieval?.kind === 'agent_answer');

    // The second visit is on the other process, and stays connected.
    subjectOnSecond = await subjectConnection(second.url, subjectToken);
    assert.notEqual(subjectOnSecond.session.conversationId, subjectConversations[0]);
    await ask(subjectOnSecond.socket, SUBJECT.secondVisit);
    assert.equal((await request(subjectOnSecond.socket, 'csat', { score: 4 })).ok, true);
    subjectConversations.push(subjectOnSecond.session.conversationId);
    subjectToken = subjectOnSecond.session.visitorToken;

    otherVisitor = track(await connectVisitor(first.url, { email: OTHER.email }));
    await ask(otherVisitor.socket, OTHER.text);
  });

  test('an admin finds the visitor by e-mail, customer id and conversation; an agent may not look', async () => {
    const byEmail = await api(first.url, `/api/agent/visitors?email=${encodeURIComponent(SUBJECT.email.toUpperCase())}`, { token: adminToken });
    assert.equal(byEmail.status, 200, JSON.stringify(byEmail.body));
    assert.equal(byEmail.body.visitors.length, 1);
    const [match] = byEmail.body.visitors;
    assert.deepEqual(match.matchedBy, ['customer_email', 'message_email', 'visitor_email']);
    assert.equal(match.conversations, 2);
    assert.deepEqual(match.customers, [{ id: SUBJECT.customerId, email: SUBJECT.email, name: SUBJECT.customerName }]);
    for (const query of [`customerId=${SUBJECT.customerId}`, `conversationId=${subjectConversations[1]}`, `visitorId=${match.id}`]) {
      const found = await api(first.url, `/api/agent/visitors?${query}`, { token: adminToken });
      assert.deepEqual(found.body.visitors.map((visitor: any) => visitor.id), [match.id], query);
    }
    assert.deepEqual((await api(first.url, '/api/agent/visitors?email=nobody@example.org', { token: adminToken })).body.visitors, []);
    assert.equal((await api(first.url, '/api/agent/visitors', { token: adminToken })).body.error.code, 'INVALID_PAYLOAD');
    assert.equal((await api(first.url, `/api/agent/visitors?email=${SUBJECT.email}&customerId=x`, { token: adminToken })).body.error.code, 'INVALID_PAYLOAD');
    for (const [method, path] of [['GET', `/api/agent/visitors?email=${SUBJECT.email}`], ['GET', `/api/agent/visitors/export?email=${SUBJECT.email}`], ['POST', '/api/agent/visitors/erase'], ['GET', '/api/agent/audit']] as const) {
      const refused = await api(first.url, path, { method, token: agentToken, ...(method === 'POST' ? { body: { email: SUBJECT.email } } : {}) });
      assert.equal(refused.status, 403, path);
      assert.equal((await api(first.url, path, { method, ...(method === 'POST' ? { body: { email: SUBJECT.email } } : {}) })).status, 401, path);
    }
  });

  test('the export holds everything stored about them, and nothing of another visitor', async () => {
    const exported = await api(first.url, `/api/agent/visitors/export?customerId=${SUBJECT.customerId}`, { token: adminToken });
    assert.equal(exported.status, 200, JSON.stringify(exported.body));
    const data = exported.body.export;
    assert.equal(data.finder, 'customerId');
    assert.equal(data.visitors.length, 1);
    const [visitor] = data.visitors;
    assert.equal(visitor.email, SUBJECT.email);
    assert.equal(visitor.name, SUBJECT.name);
    assert.deepEqual(visitor.conversations.map((conversation: any) => conversation.id), subjectConversations);
    const [firstVisit, secondVisit] = visitor.conversations;
    assert.deepEqual(firstVisit.customer, { id: SUBJECT.customerId, email: SUBJECT.email, name: SUBJECT.customerName });
    assert.equal(firstVisit.page, SUBJECT.page);
    assert.equal(firstVisit.userAgent, SUBJECT.userAgent);
    const texts = firstVisit.messages.map((message: any) => message.text);
    for (const text of [SUBJECT.contact, SUBJECT.question, SUBJECT.answer]) assert.ok(texts.includes(text), text);
    const question = firstVisit.messages.find((message: any) => message.id === questionMessageId);
    assert.deepEqual({ intent: question.label.intent, origin: question.label.origin }, { intent: 'oos', origin: 'agent' });
    const contact = firstVisit.messages.find((message: any) => message.text === SUBJECT.contact);
    assert.ok(contact.entities.some((entity: any) => entity.type === 'email' && entity.value === SUBJECT.email), JSON.stringify(contact.entities));
    assert.equal(firstVisit.messages.find((message: any) => message.text === SUBJECT.answer).feedback.rating, 'up');
    assert.equal(secondVisit.csat, 4);
    assert.ok(secondVisit.messages.some((message: any) => message.text === SUBJECT.secondVisit));
    assert.deepEqual(visitor.harvestedAnswers.map((answer: any) => [answer.id, answer.question, answer.status]), [[answerId, SUBJECT.question, 'approved']]);
    assert.deepEqual(visitor.evaluationExamples.map((example: any) => [example.messageId, example.text]), [[questionMessageId, SUBJECT.question]]);

    const json = JSON.stringify(exported.body);
    for (const foreign of [OTHER.text, OTHER.email, otherVisitor.session.conversationId, 'conversation:']) assert.ok(!json.includes(foreign), `the export holds ${foreign}`);
  });

  test('after the erasure no table holds their texts, retrieval forgets their answer everywhere, their token is refused and their socket closed', async () => {
    const before = await whereFound(SUBJECT_TEXTS);
    assert.ok(before.length >= 10, `the search finds the visitor's data before the erasure: ${before.join('; ')}`);

    const closed = new Promise<string>((resolve) => subjectOnSecond.socket.once('disconnect', resolve));
    const erased = await api(first.url, '/api/agent/visitors/erase', { token: adminToken, body: { email: SUBJECT.email } });
    assert.equal(erased.status, 200, JSON.stringify(erased.body));
    assert.deepEqual(
      { ...erased.body.erased, visitorIds: undefined },
      { visitors: 1, conversations: 2, messages: erased.body.erased.messages, feedback: 1, labels: 1, harvestedAnswers: 1, evaluationExamples: 1, visitorIds: undefined },
    );
    assert.ok(erased.body.erased.messages >= 6, JSON.stringify(erased.body));
    assert.equal(await closed, 'io server disconnect', 'the socket on the other process was closed');

    // Retrieval in both processes no longer gives the answer harvested from their conversation.
    for (const url of [first.url, second.url]) await askUntil(url, REWORDED, (reply) => reply.retrieval?.kind !== 'agent_answer');

    const refused = await connectVisitor(second.url, { visitorToken: subjectToken }).then(
      (connection) => (connection.socket.close(), 'accepted'),
      (error: Error & { data?: { code?: string } }) => error.data?.code,
    );
    assert.equal(refused, 'INVALID_TOKEN');

    const columns = await textColumns();
    assert.ok(columns.some(({ table, column }) => table === 'Message' && column === 'text'));
    assert.ok(columns.some(({ table, column }) => table === 'AuditEvent' && column === 'details'));
    assert.deepEqual(await whereFound(SUBJECT_TEXTS), []);

    // Aggregates stay: the conversations, anonymous, with their CSAT; the other visitor is untouched.
    const rows = await sql('SELECT id, "erasedAt", csat, status::text FROM "Conversation" WHERE id = ANY($1::uuid[]) ORDER BY "createdAt"', [subjectConversations]);
    assert.deepEqual(rows.map((row) => [row.erasedAt !== null, row.csat, row.status]), [[true, null, 'resolved'], [true, 4, 'resolved']]);
    assert.equal((await sql('SELECT count(*)::int AS n FROM "Message" WHERE text = $1', [OTHER.text]))[0].n, 1);
    assert.deepEqual((await api(first.url, `/api/agent/visitors?email=${OTHER.email}`, { token: adminToken })).body.visitors.length, 1);
    const transcript = await api(first.url, `/api/agent/conversations/${subjectConversations[0]}`, { token: agentToken });
    assert.deepEqual(transcript.body.conversation.messages, []);
    assert.equal(transcript.body.conversation.visitor.email, null);
  });

  test('nothing is stored for an erased visitor or in an erased conversation again', async () => {
    const visitorId = subjectToken.split('.')[1]!;
    const chat = new ChatStore(prisma);
    await assert.rejects(chat.appendVisitorMessage({ conversationId: subjectConversations[1]!, clientId: 'late', text: SUBJECT.contact }), ConversationErasedError);
    await assert.rejects(chat.createConversation(visitorId, randomUUID(), { name: SUBJECT.name, email: SUBJECT.email }), ConversationTakenError);
    const reply = await chat.appendBotReply({ conversationId: subjectConversations[1]!, replyToId: null, text: SUBJECT.secondVisit, source: 'clarify', nextState: { status: 'bot', consecutiveFallbacks: 1 } });
    assert.equal(reply, null);
    const harvested = await new KnowledgeStore(prisma).addAgentAnswer({ source: agentAnswerSource(subjectConversations[0]!, randomUUID()), question: SUBJECT.question, text: SUBJECT.answer, contentHash: 'late' });
    assert.equal(harvested, null);
    assert.deepEqual(await whereFound(SUBJECT_TEXTS), []);
  });

  test('the audit log records who did what, with ids, not texts, and refuses changes even to the database owner', async () => {
    // A wrong password: the account tried and the address, never what was typed.
    const refused = await api(first.url, '/api/agent/login', { body: { email: 'root@example.com', password: 'a wrong guess 123' } });
    assert.equal(refused.status, 401);
    const [failed] = (await api(first.url, '/api/agent/audit?action=agent.sign_in_failed', { token: adminToken })).body.events;
    assert.deepEqual([failed.actor.kind, failed.target], ['system', { kind: 'agent', id: adminId }]);
    assert.ok(!JSON.stringify(failed).includes('a wrong guess'));
    const log = await api(first.url, '/api/agent/audit?limit=500', { token: adminToken });
    assert.equal(log.status, 200, JSON.stringify(log.body));
    const actions = new Set(log.body.events.map((event: any) => event.action));
    for (const action of ['model.promote', 'agent.sign_in', 'conversation.take_over', 'conversation.reply', 'label.set', 'conversation.resolve', 'answer.approve', 'visitor.export', 'visitor.erase']) {
      assert.ok(actions.has(action), `${action} is recorded: ${[...actions].join(', ')}`);
    }
    const [erasure] = (await api(first.url, '/api/agent/audit?action=visitor.erase', { token: adminToken })).body.events;
    assert.deepEqual(erasure.actor, { kind: 'agent', id: adminId, name: 'root@example.com' });
    assert.equal(erasure.details.finder, 'email');
    assert.equal(erasure.details.erased.messages > 0, true);
    const takeOver = log.body.events.find((event: any) => event.action === 'conversation.take_over');
    assert.deepEqual(takeOver.target, { kind: 'conversation', id: subjectConversations[0] });
    assert.equal(takeOver.actor.name, 'hana@example.com');
    const page = await api(first.url, '/api/agent/audit?limit=2', { token: adminToken });
    const next = await api(first.url, `/api/agent/audit?limit=2&before=${page.body.nextCursor}`, { token: adminToken });
    assert.ok(BigInt(next.body.events[0].seq) < BigInt(page.body.events[1].seq));
    assert.equal((await api(first.url, '/api/agent/audit?action=nonsense', { token: adminToken })).body.error.code, 'INVALID_PAYLOAD');

    // As the app's role (which owns the table) and as the superuser: append-only.
    const count = async () => (await sql('SELECT count(*)::int AS n FROM "AuditEvent"'))[0].n;
    const events = await count();
    for (const statement of ['UPDATE "AuditEvent" SET action = \'forged\'', 'DELETE FROM "AuditEvent"', 'TRUNCATE "AuditEvent"']) {
      await assert.rejects(sql(statement), (error: any) => error.code === '42501', statement);
    }
    const { superuser } = JSON.parse(readFileSync(credentialsFile(first.dataDir), 'utf8'));
    const url = new URL(embeddedDatabaseUrl(first.dataDir));
    const admin = new pg.Client({ host: url.hostname, port: Number(url.port), database: 'frontdesk', user: superuser.user, password: superuser.password });
    await admin.connect();
    try {
      for (const statement of ['UPDATE "AuditEvent" SET action = \'forged\'', 'DELETE FROM "AuditEvent"', 'TRUNCATE "AuditEvent"']) {
        await assert.rejects(admin.query(statement), /append-only/, statement);
      }
    } finally {
      await admin.end();
    }
    assert.equal(await count(), events);
  });
});

/** Runs `frontdesk …` against the first server's database. */
function frontdesk(args: string[]) {
  return runFrontdesk(args, { env: { DATA_DIR: cliDir.path, DATABASE_URL: embeddedDatabaseUrl(first.dataDir), LOG_LEVEL: 'warn' } });
}

describe('frontdesk visitors', () => {
  const email = 'cli.subject@example.net';
  const text = 'Mango-harbour-3385: what does express delivery cost?';

  test('export writes their data as JSON, erase asks for --yes, then erases, closes their socket and is audited', async () => {
    const visitor = track(await connectVisitor(first.url, { email, name: 'Cli Subject' }));
    await ask(visitor.socket, text);

    const exported = await frontdesk(['visitors', 'export', '--email', email, '--out', join(cliDir.path, 'export.json')]);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /exported 1 visitor/);
    const data = JSON.parse(readFileSync(join(cliDir.path, 'export.json'), 'utf8'));
    assert.deepEqual(data.visitors[0].conversations[0].messages.filter((message: any) => message.role === 'visitor').map((message: any) => message.text), [text]);
    assert.ok(!JSON.stringify(data).includes(OTHER.text));

    const found = await frontdesk(['visitors', 'find', '--conversation', visitor.session.conversationId, '--json']);
    assert.equal(found.code, 0, found.stderr);
    assert.deepEqual(JSON.parse(found.stdout).matchedBy, ['conversation']);

    const unsure = await frontdesk(['visitors', 'erase', '--email', email]);
    assert.equal(unsure.code, 1);
    assert.match(unsure.stderr, /--yes/);
    assert.equal((await sql('SELECT count(*)::int AS n FROM "Message" WHERE text = $1', [text]))[0].n, 1);

    const twoFinders = await frontdesk(['visitors', 'erase', '--email', email, '--customer', 'x', '--yes']);
    assert.equal(twoFinders.code, 1);
    assert.match(twoFinders.stderr, /exactly one/);

    const closed = new Promise<string>((resolve) => visitor.socket.once('disconnect', resolve));
    const erased = await frontdesk(['visitors', 'erase', '--email', email, '--yes']);
    assert.equal(erased.code, 0, erased.stderr);
    assert.equal(JSON.parse(erased.stdout).visitors, 1);
    assert.equal(await closed, 'io server disconnect');
    assert.deepEqual(await whereFound([text, email, 'Cli Subject']), []);

    const nobody = await frontdesk(['visitors', 'erase', '--email', email, '--yes']);
    assert.equal(nobody.code, 1);
    assert.match(nobody.stderr, /NOT_FOUND/);

    const log = await api(first.url, '/api/agent/audit?action=visitor.erase', { token: adminToken });
    assert.equal(log.body.events[0].actor.kind, 'cli');
    assert.deepEqual((await api(first.url, '/api/agent/audit?action=visitor.export', { token: adminToken })).body.events.map((event: any) => event.actor.kind).sort(), ['agent', 'cli']);
  });
});
