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

/** What the policy needs of the intent catalogue; every text comes from it, in the visitor's language. */
export interface IntentCatalogueView {
  get(name: string): { name: string; handoff: boolean } | undefined;
  answer(name: string, language: string | undefined, variant: number): string;
  /** The intent's suggestion button text. */
  label(name: string, language: string | undefined): string;
  /** The bot's own words: `clarify` (with suggestions), `rephrase` (without), `handoff` (after repeated fallbacks, or when the visitor asks with the `handoff` event). */
  botText(key: 'clarify' | 'rephrase' | 'handoff', language: string | undefined): string;
}

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

/** How the bot falls back when it cannot answer (configured by CLARIFICATIONS_BEFORE_HANDOFF and SUGGESTIONS). */
export interface PolicySettings {
  /** Clarifying replies in a row after which the next message the bot cannot answer hands over; 0: hand over at once. */
  clarificationsBeforeHandoff: number;
  /** Most suggestion buttons in a clarification, from the model's ranking; 0: ask to rephrase instead. */
  suggestions: number;
}

export const DEFAULT_POLICY_SETTINGS: Readonly<PolicySettings> = Object.freeze({ clarificationsBeforeHandoff: 1, suggestions: 3 });

export interface PolicyInput {
  state: ConversationState;
  guess: IntentGuess;
  /** The best retrieval hit that cleared the retrieval threshold, if any. */
  retrieval?: RetrievalAnswer | null;
  catalogue: IntentCatalogueView;
  language?: string;
  /** Picks an answer variant (e.g. the number of bot replies so far), so answers rotate. */
  variant: number;
  /** Default: DEFAULT_POLICY_SETTINGS. */
  settings?: Readonly<PolicySettings>;
}

export function decide(input: PolicyInput): Decision {
  const { state, guess, catalogue, language, settings = DEFAULT_POLICY_SETTINGS } = input;
  if (state.status === 'agent' || state.status === 'waiting_for_agent') {
    return { reply: null, nextState: state };
  }
  // A resolved conversation that receives a message is open again.
  const open: ConversationState = { status: 'bot', consecutiveFallbacks: state.status === 'resolved' ? 0 : state.consecutiveFallbacks };

  const confident = guess.intent ? catalogue.get(guess.intent) : undefined;
  if (confident) {
    const text = catalogue.answer(confident.name, language, input.variant);
    // A handing-over intent's answers are what the bot says while handing over.
    if (confident.handoff) return handOver(text, { intent: confident.name, confidence: guess.confidence });
    return {
      reply: {
        source: 'intent',
        text,
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

  if (open.consecutiveFallbacks >= settings.clarificationsBeforeHandoff) return handOver(catalogue.botText('handoff', language), { confidence: guess.confidence });

  const suggestions = guess.ranking
    .map((entry) => catalogue.get(entry.intent))
    .filter((intent): intent is NonNullable<typeof intent> => intent !== undefined)
    .slice(0, settings.suggestions)
    .map((intent) => ({ intent: intent.name, label: catalogue.label(intent.name, language) }));
  return {
    reply: {
      source: 'clarify',
      text: catalogue.botText(suggestions.length > 0 ? 'clarify' : 'rephrase', language),
      confidence: guess.confidence,
      suggestions,
    },
    nextState: { status: 'bot', consecutiveFallbacks: open.consecutiveFallbacks + 1 },
  };
}

/**
 * The visitor asked for a person without words (the widget's button): the bot hands over as a
 * handing-over intent does, with its handoff text. Asking again while people have it changes nothing.
 */
export function decideHandoffRequest(input: { state: ConversationState; catalogue: IntentCatalogueView; language?: string | undefined }): Decision {
  const { state } = input;
  if (state.status === 'agent' || state.status === 'waiting_for_agent') return { reply: null, nextState: state };
  return handOver(input.catalogue.botText('handoff', input.language), {});
}

function handOver(text: string, detail: { intent?: string; confidence?: number }): Decision {
  return {
    reply: { source: 'handoff', text, ...detail },
    nextState: { status: 'waiting_for_agent', consecutiveFallbacks: 0 },
  };
}
