import type { EntitySettings } from '../entities/index.ts';
import type { BotTextKey } from './schema.ts';
import type { TemplateVariables } from './templates.ts';

/** A value the intent's action needs, filled from an entity of the visitor's messages. */
export interface SlotDefinition {
  name: string;
  /** A built-in entity type (`email`, `date`, …) or one of `_entities.yaml`. */
  entity: string;
  /** Asked for until filled; an optional slot is asked for only when the action asks for it. */
  required: boolean;
  /** How often the bot asks before it hands over. */
  maxAsks: number;
  /** The question per language (`en` always present). */
  prompt: Record<string, string>;
}

/** The action an intent runs once its required slots are filled, and the variables it returns. */
export interface ActionDeclaration {
  name: string;
  returns: string[];
  /** Another confident intent interrupting the form: its open question is asked again after that answer, or the form is dropped. */
  onInterruption: 'resume' | 'drop';
}

/** One intent of the catalogue, as written in `intents/<name>.yaml` (after validation). */
export interface IntentDefinition {
  /** snake_case identifier; equals the file name without extension. */
  name: string;
  /** Short button text used when the bot offers this intent as a suggestion. */
  label: string;
  /** The label in other languages (`label` is used where a language has none). */
  labels: Record<string, string>;
  /** What the visitor wants, in one sentence (for people maintaining the catalogue). */
  description: string;
  /** true: recognising this intent hands the conversation over to a human agent. */
  handoff: boolean;
  /** Example visitor utterances: training data for the classifier. */
  examples: string[];
  /** Answer variants per language code (`en` always present). */
  answers: Record<string, string[]>;
  /** What the action needs, in the order the bot asks for it; empty without an action. */
  slots: SlotDefinition[];
  action?: ActionDeclaration | undefined;
  /** Template name (as the action returns it) → text per language (`en` always present); Mustache placeholders. */
  templates: Record<string, Record<string, string>>;
}

export type { BotTextKey };

export interface TrainingExample {
  text: string;
  intent: string;
}

export interface Catalogue {
  /** Every intent, sorted by name. */
  readonly intents: readonly IntentDefinition[];
  get(name: string): IntentDefinition | undefined;
  /**
   * One answer variant of an intent in the given language (`de`, `de-AT`, `DE` all select `de`),
   * falling back to `en`. `variant` selects deterministically, modulo the number of variants
   * (e.g. a per-conversation counter). Throws UnknownIntentError for a name not in the catalogue.
   */
  answer(name: string, language: string | undefined, variant: number): string;
  /** The intent's suggestion label in the given language, falling back to `label`. Throws UnknownIntentError. */
  label(name: string, language: string | undefined): string;
  /** A slot's question in the given language, falling back to `en`. Throws UnknownIntentError. */
  slotPrompt(intent: string, slot: string, language: string | undefined): string;
  /**
   * The intent's answer template `template` in the given language (falling back to `en`), filled
   * with `variables`; undefined when the intent has no such template.
   */
  renderTemplate(intent: string, template: string, language: string | undefined, variables: TemplateVariables): string | undefined;
  /** A text the bot says in its own words (`_bot.yaml`), in the given language, falling back to `en`. */
  botText(key: BotTextKey, language: string | undefined): string;
  /** The languages the bot speaks: those of its own texts, `en` first. */
  readonly languages: readonly string[];
  /** Out-of-scope examples (`_out_of_scope.yaml`): messages that must not get an intent. */
  readonly outOfScope: readonly string[];
  /** Entity types and phone regions (`_entities.yaml`), for the entity extractor. */
  readonly entities: EntitySettings;
  /**
   * Every example of every intent, in catalogue order, then every out-of-scope example with the
   * intent `oos` (the training pipeline's out-of-scope class; never an answer).
   */
  trainingExamples(): Array<{ text: string; intent: string }>;
}
