// A real server: the entities of a visitor message are stored with it, appear in the agents'
// transcript, and their personal values do not leave through the conversation export.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { exportConversations } from '../../src/corpus/export.ts';
import { api, startAgentTestServer, type AgentTestServer } from '../agents/helpers.ts';
import { ask, connectVisitor } from '../helpers/server.ts';

let server: AgentTestServer;

before(async () => {
  server = await startAgentTestServer([{ email: 'ann@example.com', name: 'Ann', password: 'correct horse battery staple' }]);
});

after(async () => {
  await server?.close();
});

test("a visitor message's entities are stored and shown in the agent transcript", async () => {
  const visitor = await connectVisitor(server.url, { language: 'de' });
  server.sockets.push(visitor.socket);
  const text = 'Wo ist meine Bestellung NW-2024-0042, die blaue Tischlampe für 89,00 €? Mail: jonas@beispiel.de, Tel. 030 12345678';
  const { ack } = await ask(visitor.socket, text);
  await ask(visitor.socket, 'danke');

  const stored = await server.prisma.message.findUniqueOrThrow({ where: { id: ack.messageId } });
  const expected = [
    { type: 'order_number', value: 'NW-2024-0042', text: 'NW-2024-0042' },
    { type: 'product', value: 'Lumen table lamp', text: 'Tischlampe' },
    { type: 'amount', value: { amount: 89, currency: 'EUR' }, text: '89,00 €' },
    { type: 'email', value: 'jonas@beispiel.de', text: 'jonas@beispiel.de' },
    { type: 'phone', value: '+493012345678', text: '030 12345678' },
  ];
  const withoutOffsets = (entities: unknown) => (entities as Array<{ start: number; end: number }>).map(({ start, end, ...entity }) => entity);
  assert.deepEqual(withoutOffsets(stored.entities), expected);

  const { status, body } = await api(server.url, `/api/agent/conversations/${visitor.session.conversationId}`, { token: server.tokens[0] });
  assert.equal(status, 200);
  const messages = body.conversation.messages as Array<{ messageId: string; role: string; entities?: Array<{ text: string; start: number; end: number }> }>;
  const shown = messages.find((message) => message.messageId === ack.messageId)!;
  assert.deepEqual(withoutOffsets(shown.entities), expected);
  for (const entity of shown.entities!) assert.equal(text.slice(entity.start, entity.end), entity.text);
  // A message without entities has none, and bot replies never have any.
  assert.ok(messages.filter((message) => message.messageId !== ack.messageId).every((message) => message.entities === undefined));

  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await exportConversations(server.prisma, out);
  const exported = Buffer.concat(chunks).toString('utf8');
  // The export carries redacted texts only, never the stored entities with their raw values.
  assert.match(exported, /NW-2024-0042/);
  assert.doesNotMatch(exported, /jonas@beispiel\.de|\+493012345678|"entities"/);
});
