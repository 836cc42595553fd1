import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { Prisma } from './prisma.ts';
import { guarded, isUniqueViolation } from './errors.ts';
import type { Conversation, Message } from '../generated/prisma/client.ts';
import type { ConversationStatus, MessageRole, ReplySource, Rating } from '../generated/prisma/enums.ts';

export type { Conversation, Message, ConversationStatus, MessageRole, ReplySource, Rating };

export interface BotReplyInput {
  conversationId: string;
  replyToId: string;
  text: string;
  source: ReplySource;
  intent?: string | null;
  confidence?: number | null;
  modelVersionId?: string | null;
  latencyMs?: number | null;
  /** JSON-serialisable extras: suggestions, the retrieval source, the model's ranking. */
  details?: object;
  /** The conversation state after this reply, written in the same transaction. */
  nextState: { status: ConversationStatus; consecutiveFallbacks: number };
}

/** Postgres-backed persistence of visitors, conversations, messages and feedback. */
export class ChatStore {
  constructor(private readonly prisma: PrismaClient) {}

  async touchVisitor(visitorId: string): Promise<void> {
    await guarded(() =>
      this.prisma.visitor.upsert({
        where: { id: visitorId },
        create: { id: visitorId },
        update: { lastSeenAt: new Date() },
      }),
    );
  }

  /** The visitor's open conversation, or a new one when every earlier conversation is resolved. */
  async openConversation(visitorId: string): Promise<Conversation> {
    return guarded(async () => {
      const open = await this.prisma.conversation.findFirst({
        where: { visitorId, status: { not: 'resolved' } },
        orderBy: { createdAt: 'desc' },
      });
      return open ?? this.prisma.conversation.create({ data: { id: randomUUID(), visitorId } });
    });
  }

  async conversation(conversationId: string): Promise<Conversation | null> {
    return guarded(() => this.prisma.conversation.findUnique({ where: { id: conversationId } }));
  }

  /**
   * Stores a visitor message. The clientId is the idempotency key: a repeat returns the stored
   * message with `created: false` and writes nothing.
   */
  async appendVisitorMessage(input: { conversationId: string; clientId: string; text: string }): Promise<{ message: Message; created: boolean }> {
    return guarded(async () => {
      const existing = await this.findByClientId(input.conversationId, input.clientId);
      if (existing) return { message: existing, created: false };
      try {
        const message = await this.prisma.$transaction(async (tx) => {
          const created = await tx.message.create({
            data: { id: randomUUID(), conversationId: input.conversationId, role: 'visitor', clientId: input.clientId, text: input.text },
          });
          await tx.conversation.update({ where: { id: input.conversationId }, data: { updatedAt: new Date() } });
          return created;
        });
        return { message, created: true };
      } catch (error) {
        // Two sends of the same clientId raced; the other one won.
        if (!isUniqueViolation(error)) throw error;
        const winner = await this.findByClientId(input.conversationId, input.clientId);
        if (!winner) throw error;
        return { message: winner, created: false };
      }
    });
  }

  private findByClientId(conversationId: string, clientId: string): Promise<Message | null> {
    return this.prisma.message.findUnique({ where: { conversationId_clientId: { conversationId, clientId } } });
  }

  /** The bot's or an agent's reply to a visitor message, if one was stored. */
  async replyTo(messageId: string): Promise<Message | null> {
    return guarded(() => this.prisma.message.findFirst({ where: { replyToId: messageId }, orderBy: { seq: 'asc' } }));
  }

  /**
   * Visitor messages the bot has not answered yet (oldest first): only those after the last bot or
   * agent message, since an agent's reply answers everything the visitor said before it.
   */
  async unansweredVisitorMessages(conversationId: string): Promise<Message[]> {
    return guarded(() =>
      this.prisma.$queryRaw<Message[]>`
        SELECT m.* FROM "Message" m
        WHERE m."conversationId" = ${conversationId}::uuid AND m.role = 'visitor'
          AND m.seq > COALESCE((SELECT max(o.seq) FROM "Message" o WHERE o."conversationId" = ${conversationId}::uuid AND o.role <> 'visitor'), 0)
          AND NOT EXISTS (SELECT 1 FROM "Message" r WHERE r."replyToId" = m.id)
        ORDER BY m.seq ASC`,
    );
  }

  /**
   * Stores a bot reply and the conversation's next state, unless an agent took the conversation
   * over while the reply was being composed: then nothing is written and null is returned.
   */
  async appendBotReply(input: BotReplyInput): Promise<Message | null> {
    return guarded(() =>
      this.prisma.$transaction(async (tx) => {
        const handedOver = input.nextState.status === 'waiting_for_agent';
        const updated = await tx.conversation.updateMany({
          where: { id: input.conversationId, status: { in: ['bot', 'resolved'] } },
          data: {
            status: input.nextState.status,
            consecutiveFallbacks: input.nextState.consecutiveFallbacks,
            ...(handedOver ? { waitingSince: new Date() } : {}),
          },
        });
        if (updated.count === 0) return null;
        const message = await tx.message.create({
          data: {
            id: randomUUID(),
            conversationId: input.conversationId,
            role: 'bot',
            text: input.text,
            replyToId: input.replyToId,
            source: input.source,
            intent: input.intent ?? null,
            confidence: input.confidence ?? null,
            modelVersionId: input.modelVersionId ?? null,
            latencyMs: input.latencyMs ?? null,
            ...(input.details === undefined ? {} : { details: input.details as Prisma.InputJsonValue }),
          },
        });
        return message;
      }),
    );
  }

  async history(conversationId: string, limit = 500): Promise<Message[]> {
    return guarded(async () => {
      const newestFirst = await this.prisma.message.findMany({ where: { conversationId }, orderBy: { seq: 'desc' }, take: limit });
      return newestFirst.reverse();
    });
  }

  async message(messageId: string): Promise<Message | null> {
    return guarded(() => this.prisma.message.findUnique({ where: { id: messageId } }));
  }

  /** Stores the visitor's satisfaction score (the last one wins) and resolves the conversation. */
  async rateAndResolve(conversationId: string, score: number): Promise<void> {
    await guarded(() =>
      this.prisma.conversation.update({ where: { id: conversationId }, data: { csat: score, status: 'resolved', resolvedAt: new Date() } }),
    );
  }

  async setFeedback(messageId: string, rating: Rating): Promise<void> {
    await guarded(() =>
      this.prisma.feedback.upsert({
        where: { messageId },
        create: { id: randomUUID(), messageId, rating },
        update: { rating },
      }),
    );
  }
}
