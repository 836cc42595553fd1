// How the bot would answer a message with a catalogue that is not saved yet (the console's catalogue
// editor): the live model classifies, the knowledge index answers as it would, and the real policy
// decides from the draft catalogue, as the first message of a new conversation. Nothing is stored,
// no action is called.
import { extractEntities, type EntitySettings } from '../entities/index.ts';
import { chooseLanguage } from './language.ts';
import { decide, type Decision, type IntentCatalogueView, type PolicySettings } from './policy.ts';
import type { ActiveClassifier, RetrievalFallback } from './service.ts';
import { richField, type RichNode } from '../protocol/rich-text.ts';

export interface PreviewInput {
  text: string;
  /** The visitor's language as the widget would send it; detected from the text without it. */
  language?: string | undefined;
  catalogue: IntentCatalogueView & { readonly languages: readonly string[]; readonly entities?: EntitySettings };
  classifier: ActiveClassifier;
  retrieval?: RetrievalFallback | null;
  settings?: Readonly<PolicySettings>;
}

export interface Preview {
  language: string;
  /** What the model read: its confident intent (null: unsure) and its first guesses. */
  guess: { intent: string | null; confidence: number; ranking: Array<{ intent: string; confidence: number }> };
  /** The reply, with its Markdown subset rendered as the widget would draw it. */
  reply: (NonNullable<Decision['reply']> & { rich?: RichNode[] }) | null;
  /** The action the bot would call (its webhook is not called in a preview), with the slots the message fills. */
  action: { name: string; intent: string; slots: Record<string, unknown> } | null;
}

export async function previewAnswer(input: PreviewInput): Promise<Preview> {
  const { text, catalogue } = input;
  const guess = await input.classifier.classify(text);
  const retrieval = guess.intent ? null : ((await input.retrieval?.bestAnswer(text, guess.sentence)) ?? null);
  const { language } = await chooseLanguage({ sent: input.language, text, supported: catalogue.languages, earlierTexts: async () => [] });
  const entities = extractEntities(text, catalogue.entities, { language });
  const decision = decide({ state: { status: 'bot', consecutiveFallbacks: 0 }, guess, retrieval, catalogue, language, variant: 0, settings: input.settings, text, entities });
  return {
    language,
    guess: { intent: guess.intent, confidence: guess.confidence, ranking: guess.ranking.slice(0, 5).map((entry) => ({ ...entry })) },
    reply: decision.reply && { ...decision.reply, ...richField({ role: 'bot', text: decision.reply.text }) },
    action: decision.action ? { name: decision.action.name, intent: decision.action.intent, slots: decision.action.slots } : null,
  };
}
