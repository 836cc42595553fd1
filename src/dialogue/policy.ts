/**
 * The dialogue policy: given what the models said about a visitor message and the conversation's
 * state, decide how the bot answers. Pure: no I/O, so every rule is unit-tested directly.
 */

export type BotReplySource = 'intent' | 'retrieval' | 'clarify' | 'handoff';
export type ConversationState = { status: 'bot' | 'waiting_for_agent' | 'agent' | 'resolved'; consecutiveFallbacks: number };

export interface IntentGuess {
  /** The confident intent, or null when the model's confidence is below its out-of-scope threshold. */
  intent: string | null;
  topIntent: string;
  confidence: number;
  ranking: ReadonlyArray<{ intent: string; confidence: number }>;
}

export interface RetrievalAnswer {
  text: string;
  score: number;
  source: string;
  kind: 'document' | 'agent_answer';
  title?: string | null;
}

export interface IntentCatalogueView {
  get(name: string): { name: string; label: string; handoff: boolean } | undefined;
  answer(name: string, language: string | undefined, variant: number): string;
}

export interface PolicyTexts {
  clarify: string;
  clarifyWithoutSuggestions: string;
  handoff: string;
}

export const DEFAULT_TEXTS: PolicyTexts = {
  clarify: "I'm not sure I understood. Did you mean one of these?",
  clarifyWithoutSuggestions: "I'm not sure I understood. Could you say it in other words?",
  handoff: "I'm passing you to a member of our support team. Someone will be with you shortly, and they will see this conversation.",
};

export interface Suggestion {
  intent: string;
  label: string;
}

export interface Decision {
  /** null: the bot stays silent (a human agent is in charge or the conversation waits for one). */
  reply: {
    source: BotReplySource;
    text: string;
    intent?: string;
    confidence?: number;
    suggestions?: Suggestion[];
    retrieval?: { source: string; kind: RetrievalAnswer['kind']; score: number; title?: string | null };
  } | null;
  nextState: ConversationState;
}

export interface PolicyInput {
  state: ConversationState;
  guess: IntentGuess;
  /** The best retrieval hit that cleared the retrieval threshold, if any. */
  retrieval?: RetrievalAnswer | null;
  catalogue: IntentCatalogueView;
  language?: string;
  /** Picks an answer variant (e.g. the number of bot replies so far), so answers rotate. */
  variant: number;
  texts?: PolicyTexts;
  maxSuggestions?: number;
}

const FALLBACKS_BEFORE_HANDOFF = 2;

export function decide(input: PolicyInput): Decision {
  const { state, guess, catalogue } = input;
  const texts = input.texts ?? DEFAULT_TEXTS;
  if (state.status === 'agent' || state.status === 'waiting_for_agent') {
    return { reply: null, nextState: state };
  }
  // A resolved conversation that receives a message is open again.
  const open: ConversationState = { status: 'bot', consecutiveFallbacks: state.status === 'resolved' ? 0 : state.consecutiveFallbacks };

  const confident = guess.intent ? catalogue.get(guess.intent) : undefined;
  if (confident) {
    if (confident.handoff) return handOver(texts, { intent: confident.name, confidence: guess.confidence });
    return {
      reply: {
        source: 'intent',
        text: catalogue.answer(confident.name, input.language, input.variant),
        intent: confident.name,
        confidence: guess.confidence,
      },
      nextState: { status: 'bot', consecutiveFallbacks: 0 },
    };
  }

  if (input.retrieval) {
    const hit = input.retrieval;
    return {
      reply: {
        source: 'retrieval',
        text: hit.text,
        confidence: hit.score,
        retrieval: { source: hit.source, kind: hit.kind, score: hit.score, title: hit.title ?? null },
      },
      nextState: { status: 'bot', consecutiveFallbacks: 0 },
    };
  }

  const fallbacks = open.consecutiveFallbacks + 1;
  if (fallbacks >= FALLBACKS_BEFORE_HANDOFF) return handOver(texts, { confidence: guess.confidence });

  const suggestions = guess.ranking
    .map((entry) => catalogue.get(entry.intent))
    .filter((intent): intent is NonNullable<typeof intent> => intent !== undefined)
    .slice(0, input.maxSuggestions ?? 3)
    .map((intent) => ({ intent: intent.name, label: intent.label }));
  return {
    reply: {
      source: 'clarify',
      text: suggestions.length > 0 ? texts.clarify : texts.clarifyWithoutSuggestions,
      confidence: guess.confidence,
      suggestions,
    },
    nextState: { status: 'bot', consecutiveFallbacks: fallbacks },
  };
}

function handOver(texts: PolicyTexts, detail: { intent?: string; confidence: number }): Decision {
  return {
    reply: { source: 'handoff', text: texts.handoff, ...detail },
    nextState: { status: 'waiting_for_agent', consecutiveFallbacks: 0 },
  };
}
