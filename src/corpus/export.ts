// Exports for other tools, always redacted (src/corpus/redact.ts):
//  - labelled examples: one `{ "text", "intent", "origin" }` line per labelled visitor message, the
//    latest label of a text winning, an explicit one over a `confirmed` one (the rows a retraining
//    learns from, before the evaluation split);
//  - conversations: one `{ "id", "messages": [{ "role", "text", "intent"? }] }` line per
//    conversation, the format `frontdesk import --format jsonl` reads back.
import type { Writable } from 'node:stream';
import type { PrismaClient } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import { labelledMessages } from '../store/training-store.ts';
import { lastRowPerText } from './training-set.ts';
import { redact } from './redact.ts';

async function write(out: Writable, line: string): Promise<void> {
  if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
}

export async function exportLabelled(prisma: PrismaClient, out: Writable): Promise<number> {
  const rows = await labelledMessages(prisma);
  const latest = lastRowPerText(rows.map((row) => ({ text: redact(row.text), intent: row.intent, origin: row.origin })));
  for (const example of latest) await write(out, `${JSON.stringify(example)}\n`);
  return latest.length;
}

const PAGE = 500;

export async function exportConversations(prisma: PrismaClient, out: Writable): Promise<number> {
  let cursor: string | undefined;
  let count = 0;
  for (;;) {
    const page = await guarded(() =>
      prisma.conversation.findMany({
        take: PAGE,
        ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
        orderBy: { id: 'asc' },
        select: { id: true, messages: { orderBy: { seq: 'asc' }, select: { role: true, text: true, label: { select: { intent: true } } } } },
      }),
    );
    if (page.length === 0) return count;
    for (const conversation of page) {
      if (conversation.messages.length === 0) continue;
      const messages = conversation.messages.map((message) => ({ role: message.role, text: redact(message.text), ...(message.label ? { intent: message.label.intent } : {}) }));
      await write(out, `${JSON.stringify({ id: conversation.id, messages })}\n`);
      count++;
    }
    cursor = page.at(-1)!.id;
  }
}
