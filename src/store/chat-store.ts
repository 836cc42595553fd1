import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { Prisma, sqlPool, type PrismaClient } from './prisma.ts';
import { DatabaseUnavailableError, guarded } from './errors.ts';
import { deterministicUuid } from './deterministic-uuid.ts';
import { MicroBatcher } from '../concurrency/micro-batcher.ts';
import type { Conversation, Message } from '../generated/prisma/client.ts';
import type { ConversationStatus, MessageRole, ReplySource, Rating } from '../generated/prisma/enums.ts';
import type { VerifiedCustomer } from '../identity/customer-token.ts';

/**
 * A raw query's connection failure arrives as P2010 "Raw query failed … Can't reach database server",
 * which `isConnectionFailure` does not know: without this, a message sent during an outage was
 * answered INTERNAL instead of DATABASE_UNAVAILABLE (test/gateway/database-outage.test.ts).
 */
async function raw<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    if (code === 'P2010' && typeof message === 'string' && /can't reach database server|connection (terminated|closed|refused)|ECONNREFUSED|ECONNRESET|shutting down|starting up/i.test(message)) {
      throw new DatabaseUnavailableError(error);
    }
    throw error;
  }
}

type Outcome<O> = { ok: true; value: O } | { ok: false; error: unknown };

/**
 * Runs concurrent calls of one statement as one multi-row statement (issue 8, bench:load): under
 * load, every statement costs a system call each way and a commit, and those, not the rows, were
 * the limit. A call made while no batch is running runs at once. When a batch fails for a reason
 * other than the database being down, its rows are run one by one, so one bad row fails alone.
 */
export function batched<I, O>(run: (inputs: I[]) => Promise<O[]>, onBatch?: (size: number) => void): (input: I) => Promise<O> {
  const settle = async (inputs: I[]): Promise<Outcome<O>[]> => {
    onBatch?.(inputs.length);
    try {
      return (await guarded(() => run(inputs))).map((value) => ({ ok: true, value }));
    } catch (error) {
      if (inputs.length === 1 || error instanceof DatabaseUnavailableError) return inputs.map(() => ({ ok: false, error }));
      const outcomes: Outcome<O>[] = [];
      for (const input of inputs) outcomes.push(...(await settle([input])));
      return outcomes;
    }
  };
  const batcher = new MicroBatcher<I, Outcome<O>>(settle, 128);
  return async (input) => {
    const outcome = await batcher.submit(input);
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
}

/** A message row as pg returns it: `seq` (bigint) as a string. */
export type MessageRow = Omit<Message, 'seq'> & { seq: string };

export function toMessage({ seq, ...row }: MessageRow): Message {
  return { ...row, seq: BigInt(seq) };
}

/**
 * A message's columns by name, not `*`: a prepared statement whose result gains a column (a
 * migration applied by a newer process during a rolling upgrade) fails with "cached plan must not
 * change result type" until its connection closes.
 */
export function messageColumns(table: string): string {
  return Object.values(Prisma.MessageScalarFieldEnum).map((column) => `${table}."${column}"`).join(', ');
}

/**
 * The statements every visitor message runs skip the ORM: they go to the pg pool as named
 * statements, parsed and planned once per connection instead of at every call (issue 22, bench:load).
 */
export async function prepared<R extends object>(pool: pg.Pool, name: string, text: string, values: unknown[]): Promise<R[]> {
  return (await pool.query<R & pg.QueryResultRow>({ name, text, values })).rows;
}

export type { Conversation, Message, ConversationStatus, MessageRole, ReplySource, Rating };

/** A connecting visitor's token generation and the conversation its messages go to. */
export interface VisitorState {
  tokenGeneration: number;
  conversationId: string;
  /** False until the first message creates the row. */
  conversationExists: boolean;
  /** The visitor's latest resolved conversation, still readable (read-only) by this visitor. */
  previousConversationId: string | null;
  /** The verified customers the open and the previous conversation belong to (anonymous ones add none). */
  customerIds: string[];
}

/** What the visitor's client and the host page tell about the visitor, shown to agents. */
export interface VisitorContext {
  name?: string | undefined;
  email?: string | undefined;
  language?: string | undefined;
  page?: string | undefined;
  userAgent?: string | undefined;
  /** Verified by the shop's customer token; a conversation started anonymously becomes this customer's. */
  customer?: VerifiedCustomer | null | undefined;
}

/** Thrown when a conversation is another visitor's or another customer's: nothing was written. */
export class ConversationTakenError extends Error {
  readonly code = 'CONFLICT';
  constructor() {
    super('This conversation belongs to someone else; reconnect to start a new one.');
  }
}

/** Thrown for a message to a conversation that was erased meanwhile (or never existed): nothing was written. */
export class ConversationErasedError extends Error {
  readonly code = 'CONFLICT';
  constructor() {
    super('This conversation no longer exists; reconnect to start a new one.');
  }
}

/** The customer a conversation belongs to, as verified when it was written; null: anonymous. */
export function conversationCustomer(conversation: Pick<Conversation, 'customerId' | 'customerEmail' | 'customerName'>): VerifiedCustomer | null {
  return conversation.customerId === null ? null : { id: conversation.customerId, email: conversation.customerEmail, name: conversation.customerName };
}

/**
 * A visitor's conversation ids are derived from its id and how many conversations it had before, so
 * two tabs that connect before either has sent a message agree on the conversation they share.
 */
function nthConversationId(visitorId: string, ordinal: number): string {
  return deterministicUuid('frontdesk-conversation', visitorId, String(ordinal));
}

/** The state of a visitor id that has no row yet: nothing to read. */
export function newVisitorState(visitorId: string): VisitorState {
  return { tokenGeneration: 0, conversationId: nthConversationId(visitorId, 0), conversationExists: false, previousConversationId: null, customerIds: [] };
}

/** What answering a visitor message needs of its conversation (`answerContext`, or the message's own insert). */
export interface AnswerContext {
  /** null when there is no such conversation. */
  state: Pick<Conversation, 'status' | 'consecutiveFallbacks' | 'form'> | null;
  customer: VerifiedCustomer | null;
  /** The version of the conversation's row the state was read from (its xmin), for `BotReplyInput.stateVersion`. */
  stateVersion: string | null;
}

/** The conversation columns both reads of an answer's context return, by the names `splitContext` reads. */
const CONTEXT_COLUMNS = `c.status AS "conversationStatus", c."consecutiveFallbacks" AS "conversationFallbacks", c.form AS "conversationForm",
        c."customerId", c."customerEmail", c."customerName", c.xmin::text AS "conversationVersion"`;

type ContextRow = { conversationStatus: ConversationStatus | null; conversationFallbacks: number | null; conversationForm: Prisma.JsonValue | null; conversationVersion: string | null } & Pick<Conversation, 'customerId' | 'customerEmail' | 'customerName'>;

/** A row with `CONTEXT_COLUMNS` as the answer's context and the row's other columns. */
function splitContext<R extends ContextRow>(row: R): [AnswerContext, Omit<R, keyof ContextRow>] {
  const { conversationStatus, conversationFallbacks, conversationForm, conversationVersion, customerId, customerEmail, customerName, ...rest } = row;
  const context: AnswerContext = {
    state: conversationStatus === null ? null : { status: conversationStatus, consecutiveFallbacks: conversationFallbacks ?? 0, form: conversationForm },
    customer: conversationCustomer({ customerId, customerEmail, customerName }),
    stateVersion: conversationVersion,
  };
  return [context, rest];
}

export interface BotReplyInput {
  conversationId: string;
  /** The visitor message answered; null for a handover the visitor asked for without a message. */
  replyToId: string | null;
  text: string;
  source: ReplySource;
  intent?: string | null;
  confidence?: number | null;
  modelVersionId?: string | null;
  latencyMs?: number | null;
  /** JSON-serialisable extras: suggestions, the retrieval source, the model's ranking. */
  details?: object;
  /** The conversation state after this reply, written in the same transaction; no `form`: none is open. */
  nextState: { status: ConversationStatus; consecutiveFallbacks: number; form?: object | undefined };
  /** Entities found in the visitor message answered, stored on it in the same statement (see `recordEntities`). */
  entities?: readonly object[] | undefined;
  /**
   * The conversation's row version the reply was decided on (`AnswerContext.stateVersion`): when
   * given, the reply is stored only if the row is unchanged since; null when not given.
   */
  stateVersion?: string | null;
}

/** The statements that concurrent calls share (`ChatStore` and `AvailabilityStore` options: `onBatch`, for metrics). */
export type BatchedStatement = 'create_conversation' | 'append_visitor_message' | 'answer_context' | 'append_bot_reply' | 'record_entities' | 'waiting' | 'append_waiting_reply';

/** Postgres-backed persistence of visitors, conversations, messages and feedback. */
export class ChatStore {
  /** The pool under `prisma`, for the statements that skip the ORM (`prepared`). */
  private readonly sql: pg.Pool;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: { onBatch?: (statement: BatchedStatement, size: number) => void } = {},
  ) {
    this.sql = sqlPool(prisma);
  }

  /**
   * Where a returning visitor's chat goes, in one indexed read: the open conversation, or else the id
   * the next one will have (created by `createConversation` on the first message, so connecting
   * writes nothing), and the latest resolved one, which the visitor may still read, with the
   * customers both belong to. The visitor's token generation comes along for the revocation check.
   */
  async visitorState(visitorId: string): Promise<VisitorState> {
    const [row] = await guarded(() =>
      raw(() => this.prisma.$queryRaw<Array<{ tokenGeneration: number; openConversationId: string | null; openCustomerId: string | null; previousConversationId: string | null; previousCustomerId: string | null; conversations: bigint }>>`
        SELECT v."tokenGeneration",
          open.id AS "openConversationId", open."customerId" AS "openCustomerId",
          previous.id AS "previousConversationId", previous."customerId" AS "previousCustomerId",
          (SELECT count(*) FROM "Conversation" c WHERE c."visitorId" = v.id) AS conversations
        FROM "Visitor" v
        LEFT JOIN LATERAL (SELECT c.id, c."customerId" FROM "Conversation" c WHERE c."visitorId" = v.id AND c.status <> 'resolved' ORDER BY c."createdAt" DESC LIMIT 1) open ON true
        LEFT JOIN LATERAL (SELECT c.id, c."customerId" FROM "Conversation" c WHERE c."visitorId" = v.id AND c.status = 'resolved' ORDER BY c."createdAt" DESC LIMIT 1) previous ON true
        WHERE v.id = ${visitorId}::uuid`),
    );
    if (!row) return newVisitorState(visitorId);
    const { tokenGeneration, previousConversationId } = row;
    const customerIds = [row.openCustomerId, row.previousCustomerId].filter((id) => id !== null);
    if (row.openConversationId) return { tokenGeneration, conversationId: row.openConversationId, conversationExists: true, previousConversationId, customerIds };
    return { tokenGeneration, conversationId: nthConversationId(visitorId, Number(row.conversations)), conversationExists: false, previousConversationId, customerIds };
  }

  /**
   * Creates the visitor (or marks it seen) and the conversation `visitorState` named, and records the
   * visitor's context; a repeat creates nothing and refreshes the context (what it does not say is kept).
   * A conversation of another visitor or of another verified customer is left alone
   * (ConversationTakenError): two tabs share a conversation id before either wrote, and a customer
   * may have signed in or out in one of them.
   */
  async createConversation(visitorId: string, conversationId: string, context: VisitorContext = {}): Promise<void> {
    const written = await this.createConversations({ visitorId, conversationId, context });
    if (!written) throw new ConversationTakenError();
  }

  /**
   * Batched (issue 22): a burst of new visitors (a newsletter, an outage) sent their first messages
   * at once, one statement each, and filled the pool, so every visitor's ack queued behind them. The
   * same visitor or conversation twice in one batch is refused by ON CONFLICT and run row by row.
   */
  private readonly createConversations = batched(async (inputs: Array<{ visitorId: string; conversationId: string; context: VisitorContext }>): Promise<boolean[]> => {
    const column = (field: Exclude<keyof VisitorContext, 'customer'>) => inputs.map(({ context }) => context[field] ?? null);
    const customer = (field: keyof VerifiedCustomer) => inputs.map(({ context }) => context.customer?.[field] ?? null);
    const rows = await prepared<{ ord: string; written: boolean }>(this.sql, 'create_conversations', `
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[])
          WITH ORDINALITY AS t(visitor, conv, name, email, language, page, "userAgent", "customerId", "customerEmail", "customerName", ord)
      ), visitor AS (
        INSERT INTO "Visitor" (id, name, email) SELECT visitor, name, email FROM input ORDER BY visitor
        ON CONFLICT (id) DO UPDATE SET "lastSeenAt" = now(),
          name = COALESCE(EXCLUDED.name, "Visitor".name), email = COALESCE(EXCLUDED.email, "Visitor".email)
        -- An erased visitor's context is never stored again (src/store/data-rights-store.ts).
        WHERE "Visitor"."erasedAt" IS NULL
        RETURNING id
      ), conversation AS (
        INSERT INTO "Conversation" (id, "visitorId", language, page, "userAgent", "customerId", "customerEmail", "customerName")
        SELECT i.conv, v.id, i.language, i.page, i."userAgent", i."customerId", i."customerEmail", i."customerName"
        FROM input i JOIN visitor v ON v.id = i.visitor
        ORDER BY i.conv
        ON CONFLICT (id) DO UPDATE SET
          language = COALESCE(EXCLUDED.language, "Conversation".language),
          page = COALESCE(EXCLUDED.page, "Conversation".page),
          "userAgent" = COALESCE(EXCLUDED."userAgent", "Conversation"."userAgent"),
          -- Only an anonymous conversation or the same customer's gets here: the newest claims win.
          "customerId" = EXCLUDED."customerId", "customerEmail" = EXCLUDED."customerEmail", "customerName" = EXCLUDED."customerName"
        WHERE "Conversation"."visitorId" = EXCLUDED."visitorId" AND "Conversation"."erasedAt" IS NULL
          AND ("Conversation"."customerId" IS NULL OR "Conversation"."customerId" = EXCLUDED."customerId")
        RETURNING id
      )
      SELECT i.ord, c.id IS NOT NULL AS written FROM input i LEFT JOIN conversation c ON c.id = i.conv ORDER BY i.ord`, [
      inputs.map((input) => input.visitorId), inputs.map((input) => input.conversationId), column('name'), column('email'), column('language'),
      column('page'), column('userAgent'), customer('id'), customer('email'), customer('name'),
    ]);
    return rows.map((row) => row.written);
  }, (size) => this.options.onBatch?.('create_conversation', size));

  /** A conversation's state, or null when it has no row yet. */
  async conversationState(conversationId: string): Promise<Pick<Conversation, 'status' | 'consecutiveFallbacks'> | null> {
    return guarded(() => this.prisma.conversation.findUnique({ where: { id: conversationId }, select: { status: true, consecutiveFallbacks: true } }));
  }

  /**
   * Makes every visitor token issued so far invalid at the next handshake (erasing a visitor does the
   * same in its own transaction: DataRightsStore.eraseVisitors). The generation lives on the Visitor
   * row, so an erase keeps that row: it holds no personal data.
   */
  async revokeVisitorTokens(visitorId: string): Promise<void> {
    await guarded(() =>
      this.prisma.visitor.upsert({
        where: { id: visitorId },
        create: { id: visitorId, tokenGeneration: 1 },
        update: { tokenGeneration: { increment: 1 } },
      }),
    );
  }

  /**
   * Stores a visitor message. The clientId is the idempotency key: a repeat returns the stored
   * message with `created: false` and writes nothing. A new message comes with its conversation's
   * context as the statement read it, so that answering it needs no read of its own (issue 22).
   */
  readonly appendVisitorMessage = batched(async (inputs: Array<{ conversationId: string; clientId: string; text: string }>): Promise<Array<{ message: Message; created: boolean; context: AnswerContext | null }>> => {
    const ids = inputs.map(() => randomUUID());
    // The outer query's snapshot does not see the rows the CTE inserts, so a message is either in
    // `inserted` (new) or in "Message" (a repeated clientId), never in both. A repeat inside the
    // batch conflicts with the row its first copy inserted, and reads that row.
    const rows = await prepared<MessageRow & ContextRow & { ord: string; created: boolean }>(this.sql, 'append_visitor_messages', `
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[])
          WITH ORDINALITY AS t(id, "conversationId", "clientId", text, ord)
      ), inserted AS (
        INSERT INTO "Message" (id, "conversationId", role, "clientId", text)
        SELECT id, "conversationId", 'visitor'::"MessageRole", "clientId", text FROM input i
        -- Never into an erased conversation: the lock (the one the foreign key takes anyway) waits for
        -- an erasure in progress, and the condition is then checked on what it wrote.
        WHERE EXISTS (SELECT 1 FROM "Conversation" c WHERE c.id = i."conversationId" AND c."erasedAt" IS NULL FOR KEY SHARE)
        ORDER BY ord
        ON CONFLICT ("conversationId", "clientId") DO NOTHING
        RETURNING *
      ), touched AS (
        -- A conversation the bot answers gets its "updatedAt" from the reply's statement a moment later:
        -- one row version per message fewer (each a new entry in every index of "Conversation"), and
        -- the version read below stays the row's.
        UPDATE "Conversation" SET "updatedAt" = now()
        WHERE id IN (SELECT id FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM inserted) AND status NOT IN ('bot', 'resolved') ORDER BY id FOR NO KEY UPDATE)
        RETURNING id
      )
      SELECT i.ord, ${messageColumns('m')}, m.id = i.id AS created, ${CONTEXT_COLUMNS}
      FROM input i
      JOIN LATERAL (
        SELECT * FROM inserted n WHERE n."conversationId" = i."conversationId" AND n."clientId" = i."clientId"
        UNION ALL
        SELECT * FROM "Message" e WHERE e."conversationId" = i."conversationId" AND e."clientId" = i."clientId"
      ) m ON true
      LEFT JOIN "Conversation" c ON c.id = i."conversationId"`, [ids, inputs.map((input) => input.conversationId), inputs.map((input) => input.clientId), inputs.map((input) => input.text)]);
    const byOrdinal = new Map(rows.map(({ ord, created, ...row }) => {
      const [context, message] = splitContext(row);
      return [Number(ord), { message: toMessage(message), created, context: created ? context : null }];
    }));
    return Promise.all(inputs.map(async (input, index) => {
      const found = byOrdinal.get(index + 1);
      if (found) return found;
      // The same clientId was sent to another process, which committed after this statement's
      // snapshot was taken: its row is read again.
      const winner = await this.prisma.message.findUnique({ where: { conversationId_clientId: { conversationId: input.conversationId, clientId: input.clientId } } });
      if (!winner) throw new ConversationErasedError();
      return { message: winner, created: false, context: null };
    }));
  }, (size) => this.options.onBatch?.('append_visitor_message', size));

  /**
   * What answering a visitor message needs: the conversation's state (null when there is no such
   * conversation), and the reply if the message was answered already (a resend). The replies are
   * materialized first: with ORDER BY seq LIMIT 1 over a filter on replyToId, the planner walks the
   * whole "Message_seq_key" index (EXPLAIN: 7,600 rows read for one reply, linear in the table).
   */
  readonly answerContext = batched(async (inputs: Array<{ conversationId: string; messageId: string }>): Promise<Array<AnswerContext & { reply: Message | null }>> => {
    const rows = await prepared<Partial<MessageRow> & ContextRow & { ord: string }>(this.sql, 'answer_context', `
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS t(conv, msg, ord)
      ), replies AS MATERIALIZED (
        SELECT * FROM "Message" WHERE "replyToId" = ANY ($2::uuid[])
      )
      SELECT i.ord, ${CONTEXT_COLUMNS}, ${messageColumns('r')}
      FROM input i
      LEFT JOIN "Conversation" c ON c.id = i.conv
      LEFT JOIN LATERAL (SELECT * FROM replies WHERE replies."replyToId" = i.msg ORDER BY seq LIMIT 1) r ON true
      ORDER BY i.ord`, [inputs.map((input) => input.conversationId), inputs.map((input) => input.messageId)]);
    return rows.map(({ ord: _ord, ...row }) => {
      const [context, reply] = splitContext(row);
      return { ...context, reply: reply.id ? toMessage(reply as MessageRow) : null };
    });
  }, (size) => this.options.onBatch?.('answer_context', size));

  /**
   * Visitor messages the bot has not answered yet (oldest first): those without a reply, unless an
   * agent spoke after them (an agent's reply answers everything the visitor said before it) or the bot
   * answered a later visitor message (the bot skipped this one on purpose, e.g. while an agent had it).
   *
   * Fixed under the kill -9 test (issue 8): this used to cut off at the last bot or agent message of
   * any kind, but the reply to message N is often stored after message N+1 was acknowledged; a crash
   * then left N+1 acknowledged and never answered, because N's later reply hid it.
   */
  async unansweredVisitorMessages(conversationId: string): Promise<Message[]> {
    return guarded(() =>
      raw(() => this.prisma.$queryRaw<Message[]>`
        SELECT m.* FROM "Message" m
        WHERE m."conversationId" = ${conversationId}::uuid AND m.role = 'visitor'
          AND NOT EXISTS (SELECT 1 FROM "Message" r WHERE r."replyToId" = m.id)
          AND NOT EXISTS (SELECT 1 FROM "Message" a WHERE a."conversationId" = m."conversationId" AND a.role = 'agent' AND a.seq > m.seq)
          AND NOT EXISTS (
            SELECT 1 FROM "Message" b JOIN "Message" v ON v.id = b."replyToId"
            WHERE b."conversationId" = m."conversationId" AND b.role = 'bot' AND v.seq > m.seq)
        ORDER BY m.seq ASC`),
    );
  }

  /**
   * Stores a bot reply and the conversation's next state, unless an agent took the conversation
   * over while the reply was being composed, or the row changed since `stateVersion`: then nothing
   * is written and null is returned. The
   * reply is inserted only where the conditional state update matched, in the same statement.
   * One batch holds at most one reply per conversation: the dialogue service answers the messages
   * of a conversation one at a time. The entities of the messages answered are written whether or
   * not the reply is (as `recordEntities` would).
   */
  readonly appendBotReply = batched(async (inputs: BotReplyInput[]): Promise<Array<Message | null>> => {
    const ids = inputs.map(() => randomUUID());
    const column = <T>(pick: (input: BotReplyInput) => T) => inputs.map(pick);
    // Only a batch with entities updates messages (its own statement): an update, even of no row, runs Message's update trigger.
    const withEntities = inputs.some((input) => input.entities?.length);
    const rows = await prepared<MessageRow>(this.sql, withEntities ? 'append_bot_replies_entities' : 'append_bot_replies', `
      WITH input AS (
        SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::double precision[], $8::uuid[],
          $9::double precision[], $10::jsonb[], $11::text[], $12::int[], $13::jsonb[], $14::jsonb[], $15::text[]
        ) WITH ORDINALITY AS t(id, conv, text, "replyToId", source, intent, confidence, "modelVersionId", "latencyMs", details, status, fallbacks, form, entities, version, ord)
      )${withEntities ? `, noted AS (
        UPDATE "Message" m SET entities = i.entities FROM input i
        WHERE m.id = i."replyToId" AND m.role = 'visitor' AND i.entities IS NOT NULL
      )` : ''}, locked AS (
        -- In id order, as the report trigger of every message insert locks them: in the order of the
        -- input, a batch of replies and a batch of visitor messages sharing conversations deadlocked,
        -- and under load (batches of 100 and more share many) every pair waited a second for the
        -- deadlock check, one of them then retried row by row (docs/performance.md).
        SELECT id FROM "Conversation" WHERE id = ANY ($2::uuid[]) ORDER BY id FOR NO KEY UPDATE
      ), updated AS (
        UPDATE "Conversation" c SET
          status = i.status::"ConversationStatus",
          "consecutiveFallbacks" = i.fallbacks,
          form = i.form,
          "waitingSince" = CASE WHEN i.status = 'waiting_for_agent' THEN now() ELSE c."waitingSince" END,
          "updatedAt" = now()
        FROM input i JOIN locked l ON l.id = i.conv
        -- num_nulls, which no index matches, rather than IS NULL: on a database not analyzed yet (a new
        -- install's first minute) the planner took "erasedAt" IS NULL for rare and read every open
        -- conversation through the retention and status indexes (2.9 ms for 3 rows, 0.4 ms by id).
        WHERE c.id = i.conv AND c.status IN ('bot', 'resolved') AND num_nulls(c."erasedAt") = 1 AND (i.version IS NULL OR c.xmin::text = i.version)
        RETURNING c.id
      )
      INSERT INTO "Message" (id, "conversationId", role, text, "replyToId", source, intent, confidence, "modelVersionId", "latencyMs", details)
      SELECT i.id, i.conv, 'bot'::"MessageRole", i.text, i."replyToId", i.source::"ReplySource", i.intent, i.confidence, i."modelVersionId", i."latencyMs", i.details
      FROM input i JOIN updated u ON u.id = i.conv
      ORDER BY i.ord
      RETURNING ${messageColumns('"Message"')}`, [
      ids, column((input) => input.conversationId), column((input) => input.text), column((input) => input.replyToId), column((input) => input.source),
      column((input) => input.intent ?? null), column((input) => input.confidence ?? null), column((input) => input.modelVersionId ?? null),
      column((input) => input.latencyMs ?? null), column((input) => (input.details === undefined ? null : JSON.stringify(input.details))),
      column((input) => input.nextState.status), column((input) => input.nextState.consecutiveFallbacks),
      column((input) => (input.nextState.form === undefined ? null : JSON.stringify(input.nextState.form))),
      column((input) => (input.entities?.length ? JSON.stringify(input.entities) : null)), column((input) => input.stateVersion ?? null),
    ]);
    const byId = new Map(rows.map((row) => [row.id, toMessage(row)]));
    return ids.map((id) => byId.get(id) ?? null);
  }, (size) => this.options.onBatch?.('append_bot_reply', size));

  /**
   * Stores the entities found in a visitor message (src/entities: `{ type, value, text, start, end }`).
   * Messages the bot does not answer with `appendBotReply` (a conversation waiting for or with an
   * agent) get theirs here, so concurrent calls share one named statement (issue 22, bench:load --forms).
   */
  private readonly recordEntitiesBatched = batched(async (inputs: Array<{ messageId: string; entities: readonly object[] }>): Promise<void[]> => {
    await prepared(this.sql, 'record_entities', `
      UPDATE "Message" m SET entities = i.entities
      FROM unnest($1::uuid[], $2::jsonb[]) AS i(id, entities)
      WHERE m.id = i.id AND m.role = 'visitor'`, [inputs.map((input) => input.messageId), inputs.map((input) => JSON.stringify(input.entities))]);
    return inputs.map(() => undefined);
  }, (size) => this.options.onBatch?.('record_entities', size));

  recordEntities(messageId: string, entities: readonly object[]): Promise<void> {
    return this.recordEntitiesBatched({ messageId, entities });
  }

  /** The newest `limit` messages, oldest first, with the display name of each agent message's author. */
  async history(conversationId: string, limit = 500): Promise<Array<Message & { agent: { name: string } | null }>> {
    return guarded(async () => {
      const newestFirst = await this.prisma.message.findMany({
        where: { conversationId },
        orderBy: { seq: 'desc' },
        take: limit,
        include: { agent: { select: { name: true } } },
      });
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
