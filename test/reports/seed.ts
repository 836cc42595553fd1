// A small desk, written row by row with exact times, whose report test/reports/report.test.ts
// works out by hand. Six conversations from Monday 2026-11-02 to Sunday 2026-11-08 (UTC), one the
// evening before and one at midnight after (outside that week):
//
// C0 Sun 11-01 23:00 en  bot only, resolved, CSAT 1                               (before the range)
// C1 Mon 11-02 09:00 en  two intent answers (track_order 👍, thanks), resolved, CSAT 5
// C2 Mon 11-02 10:00 de  clarify, handoff (no intent) → Ann answers 120 s later 👎, resolved 600 s after the handoff, CSAT 2
// C3 Tue 11-03 12:00 en  handoff by the talk_to_human intent → Ann answers 300 s later; held
// C4 Thu 11-05 08:00 –   track_order at 0.45 (unsure), a retrieval answer 👎; by the retired version v1
// C5 Fri 11-06 15:00 en  clarify, greeting 👍; reviewed; resolved, CSAT 4
// C6 Sun 11-08 20:00 fr  the visitor's handoff button → Ann answers Mon 11-09 01:00 (18,000 s); held
// C7 Mon 11-09 00:00 en  one intent answer                                         (after the range)
//
// Labels: V1a track_order (right), V2a talk_to_human (the bot clarified: wrong), V4a track_order
// (answered by v1), V5a oos (the bot clarified: right); C5's review confirms V5b's greeting.
import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '../../src/store/prisma.ts';

export const WEEK = { from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-09T00:00:00Z') };

const at = (iso: string) => new Date(iso);

export interface SeededDesk {
  agentId: string;
  versions: { v1: { id: string; name: string }; v2: { id: string; name: string } };
}

/** Writes the desk above. `activeVersion`: v2 is the active model (else it is retired too, and the server's own stays active). */
export async function seedDesk(prisma: PrismaClient, options: { activeVersion: boolean; agentId?: string }): Promise<SeededDesk> {
  const agentId = options.agentId ?? (await prisma.agent.create({ data: { id: randomUUID(), email: `ann-${randomUUID()}@example.com`, name: 'Ann', passwordHash: 'x' } })).id;
  const suffix = randomUUID().slice(0, 8);
  const v1 = await prisma.modelVersion.create({
    data: { id: randomUUID(), name: `report-v1-${suffix}`, encoder: 'builtin', status: 'retired', metrics: {}, thresholds: {}, promotedAt: at('2026-10-01T00:00:00Z') },
  });
  const v2 = await prisma.modelVersion.create({
    data: {
      id: randomUUID(), name: `report-v2-${suffix}`, encoder: 'builtin', status: options.activeVersion ? 'active' : 'retired', metrics: {}, thresholds: {},
      promotedAt: options.activeVersion ? new Date() : at('2026-10-15T00:00:00Z'),
    },
  });

  const ids = new Map<string, string>();
  const id = (name: string) => {
    if (!ids.has(name)) ids.set(name, randomUUID());
    return ids.get(name)!;
  };
  const conversation = async (name: string, data: { createdAt: string; language: string | null; status: 'bot' | 'waiting_for_agent' | 'agent' | 'resolved'; csat?: number; resolvedAt?: string; assigned?: boolean; reviewedAt?: string }) => {
    const visitorId = randomUUID();
    await prisma.visitor.create({ data: { id: visitorId, createdAt: at(data.createdAt) } });
    await prisma.conversation.create({
      data: {
        id: id(name), visitorId, status: data.status, language: data.language, csat: data.csat ?? null, createdAt: at(data.createdAt), updatedAt: at(data.createdAt),
        resolvedAt: data.resolvedAt ? at(data.resolvedAt) : null, assigneeId: data.assigned ? agentId : null,
        reviewedAt: data.reviewedAt ? at(data.reviewedAt) : null, reviewedById: data.reviewedAt ? agentId : null,
      },
    });
  };
  type Bot = { source: 'intent' | 'retrieval' | 'clarify' | 'handoff'; intent?: string; confidence?: number; version?: 'v1' | 'v2' | null };
  const messages: Prisma.MessageCreateManyInput[] = [];
  const visitor = (name: string, conv: string, createdAt: string, text: string) =>
    messages.push({ id: id(name), conversationId: id(conv), role: 'visitor', text, clientId: name, createdAt: at(createdAt) });
  const bot = (name: string, conv: string, createdAt: string, replyTo: string | null, reply: Bot) =>
    messages.push({
      id: id(name), conversationId: id(conv), role: 'bot', text: `(${reply.source})`, replyToId: replyTo === null ? null : id(replyTo), source: reply.source,
      intent: reply.intent ?? null, confidence: reply.confidence ?? null, modelVersionId: reply.version === null ? null : (reply.version === 'v1' ? v1 : v2).id, createdAt: at(createdAt),
    });
  const agent = (name: string, conv: string, createdAt: string) =>
    messages.push({ id: id(name), conversationId: id(conv), role: 'agent', source: 'agent', text: 'Ann here, let me look.', agentId, createdAt: at(createdAt) });

  await conversation('C0', { createdAt: '2026-11-01T23:00:00Z', language: 'en', status: 'resolved', csat: 1, resolvedAt: '2026-11-01T23:10:00Z' });
  visitor('V0', 'C0', '2026-11-01T23:00:00Z', 'Where is my order 11111');
  bot('B0', 'C0', '2026-11-01T23:00:01Z', 'V0', { source: 'clarify', confidence: 0.2 });

  await conversation('C1', { createdAt: '2026-11-02T09:00:00Z', language: 'en', status: 'resolved', csat: 5, resolvedAt: '2026-11-02T09:05:00Z' });
  visitor('V1a', 'C1', '2026-11-02T09:00:00Z', 'Where is my order 12345?');
  bot('B1a', 'C1', '2026-11-02T09:00:01Z', 'V1a', { source: 'intent', intent: 'track_order', confidence: 0.9 });
  visitor('V1b', 'C1', '2026-11-02T09:01:00Z', 'thanks');
  bot('B1b', 'C1', '2026-11-02T09:01:01Z', 'V1b', { source: 'intent', intent: 'thanks', confidence: 0.95 });

  await conversation('C2', { createdAt: '2026-11-02T10:00:00Z', language: 'de', status: 'resolved', csat: 2, resolvedAt: '2026-11-02T10:10:31Z', assigned: true });
  visitor('V2a', 'C2', '2026-11-02T10:00:00Z', 'Ich will mit einem Menschen sprechen, anna@example.com');
  bot('B2a', 'C2', '2026-11-02T10:00:01Z', 'V2a', { source: 'clarify', confidence: 0.3 });
  visitor('V2b', 'C2', '2026-11-02T10:00:30Z', 'Mensch bitte, ruf mich an: +49 170 1234567');
  bot('B2b', 'C2', '2026-11-02T10:00:31Z', 'V2b', { source: 'handoff', confidence: 0.25 });
  agent('A2a', 'C2', '2026-11-02T10:02:31Z');

  await conversation('C3', { createdAt: '2026-11-03T12:00:00Z', language: 'en', status: 'agent', assigned: true });
  visitor('V3a', 'C3', '2026-11-03T12:00:00Z', 'talk to a human');
  bot('B3a', 'C3', '2026-11-03T12:00:01Z', 'V3a', { source: 'handoff', intent: 'talk_to_human', confidence: 0.8 });
  agent('A3a', 'C3', '2026-11-03T12:05:01Z');

  await conversation('C4', { createdAt: '2026-11-05T08:00:00Z', language: null, status: 'bot' });
  visitor('V4a', 'C4', '2026-11-05T08:00:00Z', 'Where is my order 67890?');
  bot('B4a', 'C4', '2026-11-05T08:00:01Z', 'V4a', { source: 'intent', intent: 'track_order', confidence: 0.45, version: 'v1' });
  visitor('V4b', 'C4', '2026-11-05T08:00:30Z', 'do you sell gift cards');
  bot('B4b', 'C4', '2026-11-05T08:00:31Z', 'V4b', { source: 'retrieval', confidence: 0.7, version: 'v1' });

  await conversation('C5', { createdAt: '2026-11-06T15:00:00Z', language: 'en', status: 'resolved', csat: 4, resolvedAt: '2026-11-06T15:05:00Z', reviewedAt: '2026-11-06T16:00:00Z' });
  visitor('V5a', 'C5', '2026-11-06T15:00:00Z', '  Where is my order 55555  ');
  bot('B5a', 'C5', '2026-11-06T15:00:01Z', 'V5a', { source: 'clarify', confidence: 0.2 });
  visitor('V5b', 'C5', '2026-11-06T15:00:30Z', 'hello, my email is anna@example.com');
  bot('B5b', 'C5', '2026-11-06T15:00:31Z', 'V5b', { source: 'intent', intent: 'greeting', confidence: 0.6 });

  await conversation('C6', { createdAt: '2026-11-08T20:00:00Z', language: 'fr', status: 'agent', assigned: true });
  bot('B6a', 'C6', '2026-11-08T20:00:00Z', null, { source: 'handoff', version: null });
  agent('A6a', 'C6', '2026-11-09T01:00:00Z');

  await conversation('C7', { createdAt: '2026-11-09T00:00:00Z', language: 'en', status: 'bot' });
  visitor('V7', 'C7', '2026-11-09T00:00:00Z', 'Where is my order 22222');
  bot('B7', 'C7', '2026-11-09T00:00:01Z', 'V7', { source: 'clarify', confidence: 0.1 });

  await prisma.message.createMany({ data: messages });
  // Each thumb a minute after its message.
  const written = new Map(messages.map((message) => [message.id, message.createdAt as Date]));
  for (const [message, rating] of [['B1a', 'up'], ['A2a', 'down'], ['B4b', 'down'], ['B5b', 'up'], ['B0', 'down']] as const) {
    const given = new Date(written.get(id(message))!.getTime() + 60_000);
    await prisma.feedback.create({ data: { id: randomUUID(), messageId: id(message), rating, createdAt: given, updatedAt: given } });
  }
  for (const [message, intent] of [['V1a', 'track_order'], ['V2a', 'talk_to_human'], ['V4a', 'track_order'], ['V5a', 'oos']] as const) {
    await prisma.intentLabel.create({ data: { id: randomUUID(), messageId: id(message), intent, agentId, origin: 'agent' } });
  }
  return { agentId, versions: { v1: { id: v1.id, name: v1.name }, v2: { id: v2.id, name: v2.name } } };
}
