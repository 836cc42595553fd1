// DialogueService without a server or a database: an in-memory store with the four methods the
// service uses, a classifier with fixed guesses, a retrieval fallback with fixed hits, and the real
// intent catalogue (intents/).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { loadCatalogue, type Catalogue } from '../../src/catalogue/index.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { AnswerContext, BotReplyInput, ChatStore, ConversationStatus, Message } from '../../src/store/chat-store.ts';
import { ConversationEvents } from '../../src/dialogue/conversation-events.ts';
import type { IntentGuess, RetrievalAnswer } from '../../src/dialogue/policy.ts';
import { DialogueService, type ActiveClassifier, type AnswerOutcome, type DialogueDependencies, type EncodedSentence, type RetrievalFallback } from '../../src/dialogue/service.ts';

type State = { status: ConversationStatus; consecutiveFallbacks: number };

/** What DialogueService needs of ChatStore, kept in memory: conversations' states and messages. */
class FakeChatStore {
  readonly conversations = new Map<string, State>();
  readonly messages: Message[] = [];
  /** The order in which replies were written, as the ids of the messages they answer. */
  readonly writes: Array<string | null> = [];
  private seq = 0n;

  open(status: ConversationStatus = 'bot'): string {
    const id = randomUUID();
    this.conversations.set(id, { status, consecutiveFallbacks: 0 });
    return id;
  }

  /** Stores a visitor message, as the chat namespace does before asking for an answer. */
  visitor(conversationId: string, text: string): Message {
    return this.push({ conversationId, role: 'visitor', text });
  }

  replies(): Message[] {
    return this.messages.filter((m) => m.role === 'bot');
  }

  /** Like the row's xmin: a new value at every write of the conversation. */
  readonly versions = new Map<string, number>();

  /** What the chat namespace passes along with a new message (the context its insert read). */
  contextOf(conversationId: string): AnswerContext {
    const state = this.stateOf(conversationId);
    return { state: state && { ...state, form: null }, customer: null, stateVersion: String(this.versions.get(conversationId) ?? 0) };
  }

  readonly answerContext = async ({ conversationId, messageId }: { conversationId: string; messageId: string }) => ({
    ...this.contextOf(conversationId),
    reply: this.messages.find((m) => m.replyToId === messageId) ?? null,
  });

  readonly conversationState = async (conversationId: string) => this.stateOf(conversationId);

  /** Like the real statement: written only while the bot has the conversation (or it was resolved). */
  readonly appendBotReply = async (input: BotReplyInput): Promise<Message | null> => {
    const conversation = this.conversations.get(input.conversationId);
    if (!conversation || (conversation.status !== 'bot' && conversation.status !== 'resolved')) return null;
    if (input.stateVersion != null && input.stateVersion !== String(this.versions.get(input.conversationId) ?? 0)) return null;
    this.set(input.conversationId, { ...input.nextState });
    this.writes.push(input.replyToId);
    return this.push({
      conversationId: input.conversationId,
      role: 'bot',
      text: input.text,
      replyToId: input.replyToId,
      source: input.source,
      intent: input.intent ?? null,
      confidence: input.confidence ?? null,
      modelVersionId: input.modelVersionId ?? null,
      latencyMs: input.latencyMs ?? null,
      details: (input.details ?? null) as Message['details'],
    });
  };

  readonly recordEntities = async (messageId: string, entities: readonly object[]) => {
    const message = this.messages.find((m) => m.id === messageId);
    if (message) message.entities = entities as Message['entities'];
  };

  readonly history = async (conversationId: string, limit = 500) =>
    this.messages.filter((m) => m.conversationId === conversationId).slice(-limit).map((m) => ({ ...m, agent: null }));

  /** Changes a conversation's state, as any writer of its row does. */
  set(conversationId: string, state: State): void {
    this.conversations.set(conversationId, state);
    this.versions.set(conversationId, (this.versions.get(conversationId) ?? 0) + 1);
  }

  private stateOf(conversationId: string): State | null {
    const state = this.conversations.get(conversationId);
    return state ? { ...state } : null;
  }

  private push(fields: Pick<Message, 'conversationId' | 'role' | 'text'> & Partial<Message>): Message {
    const message: Message = {
      id: randomUUID(),
      seq: ++this.seq,
      clientId: null,
      replyToId: null,
      entities: null,
      source: null,
      intent: null,
      confidence: null,
      modelVersionId: null,
      latencyMs: null,
      details: null,
      agentId: null,
      createdAt: new Date(),
      ...fields,
    };
    this.messages.push(message);
    return message;
  }
}

const SENTENCE: EncodedSentence = { encoderId: 'encoder-1', vector: new Float32Array([0.6, 0.8]) };
const confident = (intent: string, confidence = 0.93): IntentGuess => ({
  intent,
  topIntent: intent,
  confidence,
  ranking: [{ intent, confidence }, { intent: 'get_refund', confidence: 0.04 }],
});
const unsure: IntentGuess = {
  intent: null,
  topIntent: 'track_order',
  confidence: 0.21,
  ranking: [{ intent: 'track_order', confidence: 0.21 }, { intent: 'get_refund', confidence: 0.18 }, { intent: 'not_an_intent', confidence: 0.1 }],
};

/** Guesses by text (unsure for any other); `hold(text)` keeps that text's classification pending until released. */
class FakeClassifier implements ActiveClassifier {
  readonly versionId = 'model-1';
  readonly classified: string[] = [];
  private readonly held = new Map<string, Promise<void>>();

  constructor(private readonly guesses: Record<string, IntentGuess> = {}) {}

  hold(text: string): () => void {
    let release!: () => void;
    this.held.set(text, new Promise<void>((resolve) => (release = resolve)));
    return release;
  }

  async classify(text: string): Promise<IntentGuess & { sentence?: EncodedSentence }> {
    this.classified.push(text);
    await this.held.get(text);
    return { ...(this.guesses[text] ?? unsure), sentence: SENTENCE };
  }
}

class FakeRetrieval implements RetrievalFallback {
  readonly asked: Array<{ text: string; sentence: EncodedSentence | undefined }> = [];
  constructor(private readonly hits: Record<string, RetrievalAnswer> = {}) {}
  async bestAnswer(text: string, sentence?: EncodedSentence): Promise<RetrievalAnswer | null> {
    this.asked.push({ text, sentence });
    return this.hits[text] ?? null;
  }
}

let catalogue: Catalogue;
before(async () => {
  catalogue = await loadCatalogue('intents');
});

function setUp(options: { guesses?: Record<string, IntentGuess>; hits?: Record<string, RetrievalAnswer>; deps?: Partial<DialogueDependencies> } = {}) {
  const store = new FakeChatStore();
  const classifier = new FakeClassifier(options.guesses);
  const retrieval = new FakeRetrieval(options.hits);
  const outcomes: AnswerOutcome[] = [];
  const service = new DialogueService({
    store: store as unknown as ChatStore,
    catalogue: () => catalogue,
    classifier: () => classifier,
    retrieval: () => retrieval,
    logger: createLogger('silent'),
    onAnswered: (outcome) => outcomes.push(outcome),
    ...options.deps,
  });
  return { store, classifier, retrieval, service, outcomes };
}

describe('DialogueService', () => {
  test('a confident intent is answered from the catalogue and stored as the reply to the message', async () => {
    const events = new ConversationEvents();
    const published: Message[] = [];
    events.on('replied', (reply) => published.push(reply));
    const { store, classifier, retrieval, service, outcomes } = setUp({ guesses: { 'how long does delivery take?': confident('delivery_period') }, deps: { events } });
    const conversation = store.open();
    const message = store.visitor(conversation, 'how long does delivery take?');

    const reply = await service.answer(message, 'en');

    assert.ok(reply);
    assert.equal(reply.replyToId, message.id);
    assert.equal(reply.conversationId, conversation);
    assert.equal(reply.source, 'intent');
    assert.equal(reply.intent, 'delivery_period');
    assert.equal(reply.confidence, 0.93);
    assert.equal(reply.modelVersionId, 'model-1');
    assert.equal(reply.text, catalogue.answer('delivery_period', 'en', Number(message.seq)));
    assert.deepEqual(store.replies(), [reply]);
    assert.deepEqual(store.conversations.get(conversation), { status: 'bot', consecutiveFallbacks: 0 });
    assert.deepEqual(classifier.classified, ['how long does delivery take?']);
    assert.deepEqual(retrieval.asked, [], 'a confident intent needs no retrieval');
    assert.deepEqual(outcomes, [{ conversationId: conversation, message, reply, statusBefore: 'bot', statusAfter: 'bot' }]);
    assert.deepEqual(published, [reply], 'the reply is published for delivery to the visitor');
  });

  test('a resent message gets its existing reply, without classifying it again', async () => {
    const { store, classifier, service } = setUp({ guesses: { 'where is my parcel?': confident('track_order') } });
    const message = store.visitor(store.open(), 'where is my parcel?');

    const first = await service.answer(message, 'en');
    const again = await service.answer(message, 'en');

    assert.ok(first);
    assert.equal(again, first);
    assert.equal(classifier.classified.length, 1);
    assert.equal(store.replies().length, 1);
  });

  test('low confidence answers from retrieval, which gets the vector the classifier computed', async () => {
    const hit: RetrievalAnswer = { text: 'Returns are free within 30 days.', score: 0.81, source: 'knowledge/returns.md#free-returns', kind: 'document', title: 'Free returns' };
    const { store, retrieval, service } = setUp({ hits: { 'can I send it back?': hit } });
    const conversation = store.open();
    const message = store.visitor(conversation, 'can I send it back?');

    const reply = await service.answer(message, 'en');

    assert.ok(reply);
    assert.equal(reply.source, 'retrieval');
    assert.equal(reply.text, hit.text);
    assert.equal(reply.replyToId, message.id);
    assert.deepEqual((reply.details as { retrieval?: unknown }).retrieval, { source: hit.source, kind: 'document', score: 0.81, title: 'Free returns' });
    assert.deepEqual(retrieval.asked, [{ text: 'can I send it back?', sentence: SENTENCE }]);
    assert.deepEqual(store.conversations.get(conversation), { status: 'bot', consecutiveFallbacks: 0 });
  });

  test('with neither an intent nor a retrieval hit the bot clarifies, then hands over, then stays silent', async () => {
    const { store, service, outcomes } = setUp();
    const conversation = store.open();

    const clarify = await service.answer(store.visitor(conversation, 'hmm'), 'en');
    assert.ok(clarify);
    assert.equal(clarify.source, 'clarify');
    assert.equal(clarify.text, catalogue.botText('clarify', 'en'));
    assert.deepEqual((clarify.details as { suggestions?: unknown }).suggestions, [
      { intent: 'track_order', label: catalogue.label('track_order', 'en') },
      { intent: 'get_refund', label: catalogue.label('get_refund', 'en') },
    ]);
    assert.deepEqual(store.conversations.get(conversation), { status: 'bot', consecutiveFallbacks: 1 });

    const handoff = await service.answer(store.visitor(conversation, 'still hmm'), 'en');
    assert.ok(handoff);
    assert.equal(handoff.source, 'handoff');
    assert.equal(handoff.text, catalogue.botText('handoff', 'en'));
    assert.deepEqual(store.conversations.get(conversation), { status: 'waiting_for_agent', consecutiveFallbacks: 0 });
    assert.deepEqual(outcomes.map((o) => [o.statusBefore, o.statusAfter]), [['bot', 'bot'], ['bot', 'waiting_for_agent']]);

    assert.equal(await service.answer(store.visitor(conversation, 'hello?'), 'en'), null);
    assert.equal(store.replies().length, 2);
  });

  test('the bot stays silent while an agent holds the conversation, also when the agent took it during the answer', async () => {
    const { store, classifier, service, outcomes } = setUp({ guesses: { 'where is my parcel?': confident('track_order') } });
    const held = store.open('agent');
    assert.equal(await service.answer(store.visitor(held, 'where is my parcel?'), 'en'), null);
    assert.deepEqual(outcomes.at(-1), { conversationId: held, message: store.messages.at(-1), reply: null, statusBefore: 'agent', statusAfter: 'agent' });

    // An agent takes the conversation over while the message is being classified: nothing is written.
    const taken = store.open();
    const message = store.visitor(taken, 'where is my parcel?');
    const release = classifier.hold('where is my parcel?');
    const answering = service.answer(message, 'en');
    await new Promise((resolve) => setImmediate(resolve));
    store.set(taken, { status: 'agent', consecutiveFallbacks: 0 });
    release();
    assert.equal(await answering, null);
    assert.equal(outcomes.at(-1)?.statusAfter, null);
    assert.deepEqual(store.replies(), []);
    assert.deepEqual(store.conversations.get(taken), { status: 'agent', consecutiveFallbacks: 0 });
  });

  test('the context read with a new message spares a read, and a reply decided on it is decided again when the conversation changed since', async () => {
    const { store, service, outcomes } = setUp({ guesses: { 'where is my parcel?': confident('track_order') } });
    let reads = 0;
    const answerContext = store.answerContext;
    (store as { answerContext: typeof answerContext }).answerContext = async (input) => (reads++, answerContext(input));

    const fresh = store.open();
    const reply = await service.answer(store.visitor(fresh, 'where is my parcel?'), 'en', store.contextOf(fresh));
    assert.equal(reply?.source, 'intent');
    assert.equal(reads, 0, 'the context stored with the message was used');

    // The bot clarified once between the message's insert and its answer: one fallback more than the
    // message's context says. Decided on that context, the unsure message would clarify again; the
    // write is refused, and on a fresh read it is the second fallback in a row, which hands over.
    const conversation = store.open();
    const stale = store.contextOf(conversation);
    store.set(conversation, { status: 'bot', consecutiveFallbacks: 1 });
    const handoff = await service.answer(store.visitor(conversation, 'hmm'), 'en', stale);
    assert.equal(handoff?.source, 'handoff');
    assert.equal(reads, 1);
    assert.deepEqual(store.conversations.get(conversation), { status: 'waiting_for_agent', consecutiveFallbacks: 0 });
    assert.deepEqual(outcomes.at(-1)?.statusAfter, 'waiting_for_agent', 'agents hear of the reply stored, not of the refused write');
  });

  test('messages of one conversation are answered one at a time, in order; other conversations do not wait', async () => {
    const { store, classifier, service } = setUp({ guesses: { first: confident('track_order'), second: confident('get_refund'), elsewhere: confident('greeting') } });
    const conversation = store.open();
    const first = store.visitor(conversation, 'first');
    const second = store.visitor(conversation, 'second');
    const elsewhere = store.visitor(store.open(), 'elsewhere');
    const release = classifier.hold('first');

    const answers = [service.answer(first, 'en'), service.answer(second, 'en')];
    assert.ok(await service.answer(elsewhere, 'en'), 'another conversation is answered while the first message waits');
    assert.deepEqual(classifier.classified, ['first', 'elsewhere'], 'the second message waits for the first');

    release();
    const [firstReply, secondReply] = await Promise.all(answers);
    assert.equal(firstReply?.replyToId, first.id);
    assert.equal(secondReply?.replyToId, second.id);
    assert.deepEqual(store.writes, [elsewhere.id, first.id, second.id]);
    assert.ok(firstReply!.seq < secondReply!.seq);
  });

  test('drain() waits for the answers in flight', async () => {
    const { store, classifier, service } = setUp({ guesses: { 'where is my parcel?': confident('track_order') } });
    const message = store.visitor(store.open(), 'where is my parcel?');
    const release = classifier.hold('where is my parcel?');
    const answering = service.answer(message, 'en');

    let drained = false;
    const draining = service.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(drained, false, 'drain() returned while an answer was in flight');

    release();
    await draining;
    assert.equal(store.replies().length, 1, 'the reply was written before drain() returned');
    assert.equal((await answering)?.replyToId, message.id);
    await service.drain();
  });

  test('a visitor asking for a person is handed over once', async () => {
    const { store, classifier, service } = setUp();
    const conversation = store.open();

    const first = await service.handOver(conversation, 'en');
    assert.equal(first.status, 'waiting_for_agent');
    assert.equal(first.reply?.source, 'handoff');
    assert.equal(first.reply?.replyToId, null);
    assert.equal(first.reply?.text, catalogue.botText('handoff', 'en'));

    assert.deepEqual(await service.handOver(conversation, 'en'), { status: 'waiting_for_agent', reply: null });
    assert.equal(store.replies().length, 1);
    assert.deepEqual(classifier.classified, []);
  });
});
