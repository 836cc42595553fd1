// Issue 20, availability: agents' presence (available / away, away when the last console closes), a
// handoff nobody can take goes the offline path (says so, asks for an e-mail address, validated and
// stored), an agent's later reply reaches that address through SMTP (a local smtp-server), a visitor
// writing while waiting hears their place in the queue, a long wait gets the offline path too.
// Real server, real Postgres, real socket.io clients.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { io as connect, type Socket } from 'socket.io-client';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/index.ts';
import { ConfigError, loadConfig } from '../../src/config/config.ts';
import { connectVisitor, nextEvent, queryEmbedded, request, type VisitorConnection } from '../helpers/server.ts';
import { api, startAgentTestServer, type AgentTestServer } from '../agents/helpers.ts';
import { startSmtpCatcher, waitFor, type ReceivedMail } from './smtp.ts';

let smtp: Awaited<ReturnType<typeof startSmtpCatcher>>;
let mails: ReceivedMail[];
let desk: AgentTestServer;
let catalogue: Catalogue;
const sockets: Socket[] = [];

before(async () => {
  smtp = await startSmtpCatcher();
  mails = smtp.mails;
  desk = await startAgentTestServer([{ email: 'anna@example.com', name: 'Anna', password: 'anna password 1' }], {
    SMTP_URL: smtp.url,
    SMTP_FROM: 'Support <support@example.com>',
    HANDOFF_WAIT_OFFLINE_MS: '1500',
  });
  catalogue = await loadCatalogue('intents');
});

after(async () => {
  for (const socket of sockets) socket.close();
  await desk?.close();
  await smtp?.close();
});

async function visitor(auth: Record<string, unknown> = {}): Promise<VisitorConnection> {
  const connection = await connectVisitor(desk.url, auth);
  sockets.push(connection.socket);
  return connection;
}

/** An agent console's socket, once the server has told it its availability (listened for before connecting: it may come in one read with `hello`). */
async function agentConsole(): Promise<{ socket: Socket; available: boolean }> {
  const socket = connect(`${desk.url}/agent`, { auth: { token: desk.tokens[0] }, transports: ['websocket'], reconnection: false, forceNew: true });
  sockets.push(socket);
  const { available } = await nextEvent<{ available: boolean }>(socket, 'availability');
  return { socket, available };
}

/** Sends a message and waits for the bot message answering it. */
async function say(socket: Socket, text: string) {
  const ack = await request(socket, 'message', { clientId: `c-${Math.random().toString(36).slice(2)}`, text });
  assert.equal(ack.ok, true, JSON.stringify(ack));
  return nextEvent(socket, 'reply', (reply: any) => reply.replyTo === ack.messageId);
}

async function handOff(socket: Socket) {
  const reply = nextEvent(socket, 'reply', (candidate: any) => candidate.source === 'handoff');
  const ack = await request(socket, 'handoff', {});
  assert.equal(ack.ok, true, JSON.stringify(ack));
  return reply;
}

describe('availability and the offline follow-up', () => {
  test('nobody available: the offline path, the e-mail address, the agent reply by e-mail', async () => {
    const { socket, session } = await visitor({ language: 'en' });
    const handoff = await handOff(socket);
    assert.equal(handoff.text, catalogue.botText('handoff_unavailable', 'en'));

    const invalid = await say(socket, 'ada@example');
    assert.equal(invalid.text, catalogue.botText('followup_email_invalid', 'en'));
    const saved = await say(socket, 'sure, it is ada.lovelace@example.com');
    assert.equal(saved.text, catalogue.botText('followup_email_saved', 'en').replace('{email}', 'ada.lovelace@example.com'));
    const [row] = await queryEmbedded(desk.dataDir, 'SELECT "followupEmail", status FROM "Conversation" WHERE id = $1', [session.conversationId]);
    assert.deepEqual(row, { followupEmail: 'ada.lovelace@example.com', status: 'waiting_for_agent' });

    // An agent comes back, takes the conversation and answers: the visitor hears it here and by e-mail.
    const { socket: agent } = await agentConsole();
    assert.equal((await request(agent, 'take_over', { conversationId: session.conversationId })).ok, true);
    const delivered = nextEvent(socket, 'reply', (reply: any) => reply.source === 'agent');
    const sent = await request(agent, 'reply', { conversationId: session.conversationId, text: 'Your parcel left our warehouse this morning.' });
    assert.equal(sent.ok, true, JSON.stringify(sent));
    assert.equal((await delivered).text, 'Your parcel left our warehouse this morning.');
    const mail = await waitFor(() => mails.find((candidate) => candidate.to.includes('ada.lovelace@example.com')), 'the follow-up e-mail');
    assert.equal(mail.from, 'support@example.com');
    assert.match(mail.data, /Your parcel left our warehouse this morning\./);
    assert.match(mail.data, /Subject: Our reply to your support conversation/);
    assert.match(mail.data, /Anna/);
    agent.close();
  });

  test('presence: available on connecting, away by choice, away when the last console closes', async () => {
    const first = await agentConsole();
    assert.equal(first.available, true);
    const { socket: staffed } = await visitor({ language: 'de' });
    assert.equal((await handOff(staffed)).text, catalogue.botText('handoff', 'de'));

    // Away: every console of the agent hears it, and a new console starts away too.
    const second = await agentConsole();
    const heard = nextEvent(first.socket, 'availability');
    assert.deepEqual(await request(second.socket, 'set_availability', { available: false }), { ok: true, available: false });
    assert.deepEqual(await heard, { available: false });
    const third = await agentConsole();
    assert.equal(third.available, false);
    const { socket: away } = await visitor({ language: 'de' });
    assert.equal((await handOff(away)).text, catalogue.botText('handoff_unavailable', 'de'));
    assert.equal((await request(first.socket, 'set_availability', { available: 'yes' })).error.code, 'INVALID_PAYLOAD');

    // Available again, then every console closes: away.
    await request(third.socket, 'set_availability', { available: true });
    const { socket: again } = await visitor({ language: 'fr' });
    assert.equal((await handOff(again)).text, catalogue.botText('handoff', 'fr'));
    for (const socket of [first.socket, second.socket, third.socket]) socket.close();
    await waitFor(async () => ((await queryEmbedded(desk.dataDir, 'SELECT count(*)::int AS n FROM "AgentPresence"'))[0].n === 0 ? true : undefined), 'the consoles to be gone');
    const { socket: closed } = await visitor({ language: 'fr' });
    assert.equal((await handOff(closed)).text, catalogue.botText('handoff_unavailable', 'fr'));
  });

  test('a visitor writing while waiting hears their place in the queue', async () => {
    const { socket: agent } = await agentConsole();
    // Everything waiting so far is taken off the queue, so that the places are known.
    await queryEmbedded(desk.dataDir, `UPDATE "Conversation" SET status = 'resolved', "waitingSince" = NULL WHERE status = 'waiting_for_agent'`);
    const first = await visitor({ language: 'en' });
    const second = await visitor({ language: 'en' });
    await handOff(first.socket);
    await handOff(second.socket);
    const ackSecond = await say(second.socket, 'hello? anyone there?');
    assert.equal(ackSecond.text, catalogue.botText('waiting_position', 'en').replace('{position}', '2'));
    const ackFirst = await say(first.socket, 'still waiting');
    assert.equal(ackFirst.text, catalogue.botText('waiting_position', 'en').replace('{position}', '1'));
    // Once an agent has the conversation, the bot is silent again.
    assert.equal((await request(agent, 'take_over', { conversationId: first.session.conversationId })).ok, true);
    const ack = await request(first.socket, 'message', { clientId: 'c-after-take-over', text: 'thanks' });
    assert.equal(ack.ok, true);
    await assert.rejects(nextEvent(first.socket, 'reply', (reply: any) => reply.replyTo === ack.messageId, 800));
    // The acknowledgements are in the transcript agents read.
    const { body } = await api(desk.url, `/api/agent/conversations/${second.session.conversationId}`, { token: desk.tokens[0] });
    assert.ok(JSON.stringify(body).includes('in the queue'), 'agents see the acknowledgement');
    agent.close();
  });

  test('a wait longer than HANDOFF_WAIT_OFFLINE_MS gets the offline path once', async () => {
    const { socket: agent } = await agentConsole();
    const { socket, session } = await visitor({ language: 'es' });
    assert.equal((await handOff(socket)).text, catalogue.botText('handoff', 'es'));
    const offline = await nextEvent(socket, 'reply', (reply: any) => reply.source === 'handoff' && reply.replyTo == null, 8_000);
    assert.equal(offline.text, catalogue.botText('handoff_unavailable', 'es'));
    const saved = await say(socket, 'mi correo es pepa@example.es');
    assert.match(saved.text, /pepa@example\.es/);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const [{ n }] = await queryEmbedded(desk.dataDir, `SELECT count(*)::int AS n FROM "Message" WHERE "conversationId" = $1 AND text = $2`, [session.conversationId, catalogue.botText('handoff_unavailable', 'es')]);
    assert.equal(n, 1, 'offered once');
    agent.close();
  });
});

describe('configuration', () => {
  test('BUSINESS_HOURS and SMTP settings are validated at start with clear errors', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return '';
      } catch (error) {
        assert.ok(error instanceof ConfigError);
        return error.message;
      }
    };
    assert.match(problems({ BUSINESS_HOURS: 'Mars/Olympus; Mon-Fri 09:00-17:00' }), /BUSINESS_HOURS: "Mars\/Olympus" is not an IANA time zone/);
    assert.match(problems({ BUSINESS_HOURS: 'Europe/Berlin; Mon-Fri 9-5' }), /BUSINESS_HOURS: "9-5" in "Mon-Fri 9-5" is not a time range/);
    assert.match(problems({ SMTP_URL: 'smtp://127.0.0.1:2525' }), /set SMTP_URL and SMTP_FROM together/);
    assert.match(problems({ SMTP_URL: 'mail.example.com', SMTP_FROM: 'a@b.c' }), /SMTP_URL: must be an smtp:\/\//);
    const config = loadConfig({ BUSINESS_HOURS: 'Europe/Berlin; Mon-Fri 09:00-17:00; closed 2026-12-24', HANDOFF_WAIT_OFFLINE_MS: 'off' });
    assert.equal(config.businessHours?.timeZone, 'Europe/Berlin');
    assert.equal(config.handoffWaitOfflineMs, null);
    assert.equal(config.smtp, null);
  });
});
