import type { EntitySettings } from '../entities/index.ts';
import { NO_ENTITIES, parseEntities } from './entities.ts';
import { CatalogueError, UnknownIntentError, type CatalogueProblem } from './errors.ts';
import { issuesToProblems, makeProblem, type Locate } from './issues.ts';
import {
  BOT_TEXT_KEYS,
  botTextsSchema,
  DEFAULT_BOT_TEXTS,
  DEFAULT_MIN_EXAMPLES,
  intentSchema,
  OUT_OF_SCOPE_KEYS,
  outOfScopeSchema,
  type BotTextKey,
} from './schema.ts';
import type { Catalogue, IntentDefinition, TrainingExample } from './types.ts';
import { renderTemplate, type TemplateVariables } from './templates.ts';
import { OUT_OF_SCOPE } from '../nlu/types.ts';
import { BUILT_IN_ENTITY_TYPES } from '../entities/index.ts';

export type BotTexts = Record<BotTextKey, Record<string, string>>;

export const FALLBACK_LANGUAGE = 'en';

/**
 * The form under which two examples count as the same utterance: case, Unicode compatibility
 * forms, runs of white space and surrounding punctuation do not matter ("Where is my order?" and
 * "where is my order" are one example).
 */
export function normalizeExample(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/\s+/gu, ' ')
    .replace(/^[\s\p{P}]+|[\s\p{P}]+$/gu, '');
}

/** A validated intent together with where it came from, for cross-intent checks. */
export interface SourcedIntent {
  file: string;
  intent: IntentDefinition;
  /** Resolves a field path (as zod reports it) to a 1-based position in the file, where known. */
  locate?: Locate | undefined;
  /** Prepended to field paths in problems (e.g. `intents[2]` for in-memory definitions). */
  prefix?: readonly PropertyKey[];
}

function problemAt(source: SourcedIntent, path: readonly PropertyKey[], message: string): CatalogueProblem {
  return makeProblem(source.file, path, message, source.locate, source.prefix);
}

/** The validated out-of-scope examples and where they came from (`_out_of_scope.yaml`). */
export interface SourcedOutOfScope {
  file: string;
  examples: readonly string[];
  locate?: Locate | undefined;
  prefix?: readonly PropertyKey[];
}

/**
 * Rules that span intents: unique names, no utterance labelled twice, `oos` is no intent's name,
 * and no out-of-scope example is also an intent's example (or listed twice).
 */
export function crossCheck(sources: readonly SourcedIntent[], outOfScope?: SourcedOutOfScope): CatalogueProblem[] {
  const problems: CatalogueProblem[] = [];
  const names = new Map<string, SourcedIntent>();
  const examples = new Map<string, { source: SourcedIntent; index: number }>();
  for (const source of sources) {
    const { intent } = source;
    if (intent.name === OUT_OF_SCOPE) {
      problems.push(problemAt(source, ['name'], `"${OUT_OF_SCOPE}" is reserved for out-of-scope examples (put them in _out_of_scope.yaml)`));
      continue;
    }
    const previous = names.get(intent.name);
    if (previous) {
      problems.push(problemAt(source, ['name'], `duplicate intent name "${intent.name}" (also defined in ${previous.file})`));
      continue;
    }
    names.set(intent.name, source);
    intent.examples.forEach((example, index) => {
      const key = normalizeExample(example);
      const seen = examples.get(key);
      if (!seen) {
        examples.set(key, { source, index });
        return;
      }
      const other = seen.source.intent.name;
      problems.push(
        problemAt(
          source,
          ['examples', index],
          other === intent.name
            ? `duplicate example "${example}" (same as examples[${seen.index}])`
            : `example "${example}" is also an example of intent "${other}" (${seen.source.file}, examples[${seen.index}]); an utterance can have only one intent`,
        ),
      );
    });
  }
  if (outOfScope) {
    const seen = new Map<string, number>();
    outOfScope.examples.forEach((example, index) => {
      const key = normalizeExample(example);
      const at = (message: string) => makeProblem(outOfScope.file, ['examples', index], message, outOfScope.locate, outOfScope.prefix);
      const intentExample = examples.get(key);
      if (intentExample) {
        const other = intentExample.source;
        problems.push(at(`out-of-scope example "${example}" is also an example of intent "${other.intent.name}" (${other.file}, examples[${intentExample.index}]); an utterance can have only one intent`));
      } else if (seen.has(key)) {
        problems.push(at(`duplicate out-of-scope example "${example}" (same as examples[${seen.get(key)}])`));
      } else {
        seen.set(key, index);
      }
    });
  }
  return problems;
}

/** Every slot's entity type must exist: built in, or defined in `_entities.yaml`. */
export function checkSlotEntities(sources: readonly SourcedIntent[], entities: EntitySettings): CatalogueProblem[] {
  const known = new Set<string>([...BUILT_IN_ENTITY_TYPES, ...entities.types.map((type) => type.name)]);
  return sources.flatMap((source) =>
    source.intent.slots.flatMap((slot, index) =>
      known.has(slot.entity) ? [] : [problemAt(source, ['slots', index, 'entity'], `unknown entity type "${slot.entity}" (known: ${[...known].join(', ')})`)],
    ),
  );
}

function languageCandidates(language: string | undefined): string[] {
  if (!language) return [FALLBACK_LANGUAGE];
  const tag = language.trim().replace(/_/g, '-').toLowerCase();
  const primary = tag.split('-')[0] ?? tag;
  return [tag, primary, FALLBACK_LANGUAGE];
}

/** Per-language values keyed by lowercased tag, so `DE` and `de` find the same entry. */
function byLanguage<T>(values: Record<string, T>): Map<string, T> {
  return new Map(Object.entries(values).map(([language, value]) => [language.toLowerCase(), value]));
}

/** The entry for the language's exact tag, else its primary subtag, else English; undefined when none. */
function pick<T>(values: ReadonlyMap<string, T>, language: string | undefined): T | undefined {
  for (const candidate of languageCandidates(language)) {
    const value = values.get(candidate);
    if (value !== undefined) return value;
  }
  return undefined;
}

class CatalogueImpl implements Catalogue {
  readonly intents: readonly IntentDefinition[];
  readonly #byName: Map<string, IntentDefinition>;
  readonly languages: readonly string[];
  /** Lowercased language tag → variants, per intent. */
  readonly #answers: Map<string, Map<string, readonly string[]>>;
  readonly #labels: Map<string, Map<string, string>>;
  /** `intent/slot` → prompt by lowercased language tag. */
  readonly #prompts: Map<string, Map<string, string>>;
  /** `intent/template` → template by lowercased language tag. */
  readonly #templates: Map<string, Map<string, string>>;
  readonly #botTexts: Map<BotTextKey, Map<string, string>>;
  readonly outOfScope: readonly string[];
  readonly entities: EntitySettings;

  constructor(intents: readonly IntentDefinition[], botTexts: BotTexts, outOfScope: readonly string[], entities: EntitySettings) {
    this.entities = entities;
    this.outOfScope = Object.freeze([...outOfScope]);
    const sorted = [...intents].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.intents = Object.freeze(sorted.map(freezeIntent));
    this.#byName = new Map(this.intents.map((intent) => [intent.name, intent]));
    this.#answers = new Map(this.intents.map((intent) => [intent.name, byLanguage(intent.answers)]));
    this.#labels = new Map(this.intents.map((intent) => [intent.name, byLanguage({ ...intent.labels, [FALLBACK_LANGUAGE]: intent.label })]));
    this.#prompts = new Map(this.intents.flatMap((intent) => intent.slots.map((slot) => [`${intent.name}/${slot.name}`, byLanguage(slot.prompt)] as const)));
    this.#templates = new Map(this.intents.flatMap((intent) => Object.entries(intent.templates).map(([name, texts]) => [`${intent.name}/${name}`, byLanguage(texts)] as const)));
    this.#botTexts = new Map(BOT_TEXT_KEYS.map((key) => [key, byLanguage(botTexts[key])]));
    const spoken = new Set(BOT_TEXT_KEYS.flatMap((key) => [...this.#botTexts.get(key)!.keys()]));
    this.languages = Object.freeze([FALLBACK_LANGUAGE, ...[...spoken].filter((language) => language !== FALLBACK_LANGUAGE).sort()]);
  }

  get(name: string): IntentDefinition | undefined {
    return this.#byName.get(name);
  }

  answer(name: string, language: string | undefined, variant: number): string {
    const answers = this.#answers.get(name);
    if (!answers) throw new UnknownIntentError(name);
    // validation guarantees a non-empty `en`
    const variants = pick(answers, language);
    if (!variants || variants.length === 0) throw new UnknownIntentError(name);
    const whole = Number.isFinite(variant) ? Math.trunc(variant) : 0;
    const index = ((whole % variants.length) + variants.length) % variants.length;
    return variants[index]!;
  }

  label(name: string, language: string | undefined): string {
    const labels = this.#labels.get(name);
    if (!labels) throw new UnknownIntentError(name);
    return pick(labels, language)!;
  }

  slotPrompt(intent: string, slot: string, language: string | undefined): string {
    const prompts = this.#prompts.get(`${intent}/${slot}`);
    if (!prompts) throw new UnknownIntentError(`${intent}/${slot}`);
    return pick(prompts, language)!;
  }

  renderTemplate(intent: string, template: string, language: string | undefined, variables: TemplateVariables): string | undefined {
    const texts = this.#templates.get(`${intent}/${template}`);
    return texts && renderTemplate(pick(texts, language)!, variables);
  }

  botText(key: BotTextKey, language: string | undefined): string {
    // validation guarantees `en` for every key
    return pick(this.#botTexts.get(key)!, language)!;
  }

  trainingExamples(): TrainingExample[] {
    return [
      ...this.intents.flatMap((intent) => intent.examples.map((text) => ({ text, intent: intent.name }))),
      ...this.outOfScope.map((text) => ({ text, intent: OUT_OF_SCOPE })),
    ];
  }
}

function freezeIntent(intent: IntentDefinition): IntentDefinition {
  const answers: Record<string, string[]> = {};
  for (const [language, variants] of Object.entries(intent.answers)) answers[language] = Object.freeze([...variants]) as string[];
  return Object.freeze({
    name: intent.name,
    label: intent.label,
    labels: Object.freeze({ ...intent.labels }),
    description: intent.description,
    handoff: intent.handoff,
    examples: Object.freeze([...intent.examples]) as string[],
    answers: Object.freeze(answers),
    slots: Object.freeze(intent.slots.map((slot) => Object.freeze({ ...slot, prompt: Object.freeze({ ...slot.prompt }) }))) as IntentDefinition['slots'],
    ...(intent.action ? { action: Object.freeze({ name: intent.action.name, returns: Object.freeze([...intent.action.returns]) as string[], onInterruption: intent.action.onInterruption }) } : {}),
    templates: Object.freeze(Object.fromEntries(Object.entries(intent.templates).map(([name, texts]) => [name, Object.freeze({ ...texts })]))),
  });
}

/** Builds a catalogue from intents (and bot texts) that already passed validation and the cross-intent checks. */
export function catalogueFromValidated(intents: readonly IntentDefinition[], botTexts: BotTexts = DEFAULT_BOT_TEXTS, outOfScope: readonly string[] = [], entities: EntitySettings = NO_ENTITIES): Catalogue {
  return new CatalogueImpl(intents, botTexts, outOfScope, entities);
}

export interface CreateCatalogueOptions {
  /** Fewest examples an intent may have (default 8). */
  minExamples?: number;
  /** The bot's own texts, as in `_bot.yaml` (default: DEFAULT_BOT_TEXTS). */
  bot?: unknown;
  /** Out-of-scope examples, as in `_out_of_scope.yaml` (`{ examples: [...] }`; default: none). */
  outOfScope?: unknown;
  /** Entity types, as in `_entities.yaml` (`{ phone_regions?, types? }`; default: none). */
  entities?: unknown;
}

/**
 * Builds a catalogue from in-memory definitions (tests, generated catalogues), with the same
 * validation as `loadCatalogue` except the file-name rule. Problems name the file `(in memory)`
 * and the field as `intents[i].field`.
 */
export function createCatalogue(definitions: readonly unknown[], options: CreateCatalogueOptions = {}): Catalogue {
  const schema = intentSchema({ minExamples: options.minExamples ?? DEFAULT_MIN_EXAMPLES });
  const problems: CatalogueProblem[] = [];
  const sources: SourcedIntent[] = [];
  definitions.forEach((definition, index) => {
    const result = schema.safeParse(definition);
    if (result.success) {
      sources.push({ file: '(in memory)', intent: result.data, prefix: ['intents', index] });
      return;
    }
    problems.push(...issuesToProblems(result.error.issues, '(in memory)', undefined, ['intents', index]));
  });
  let botTexts: BotTexts = DEFAULT_BOT_TEXTS;
  if (options.bot !== undefined) {
    const result = botTextsSchema().safeParse(options.bot);
    if (result.success) botTexts = result.data;
    else problems.push(...issuesToProblems(result.error.issues, '(in memory)', undefined, ['bot'], BOT_TEXT_KEYS));
  }
  let outOfScope: SourcedOutOfScope | undefined;
  if (options.outOfScope !== undefined) {
    const result = outOfScopeSchema().safeParse(options.outOfScope);
    if (result.success) outOfScope = { file: '(in memory)', examples: result.data.examples, prefix: ['outOfScope'] };
    else problems.push(...issuesToProblems(result.error.issues, '(in memory)', undefined, ['outOfScope'], OUT_OF_SCOPE_KEYS));
  }
  let entities = NO_ENTITIES;
  if (options.entities !== undefined) {
    const parsed = parseEntities(options.entities, '(in memory)', undefined, ['entities']);
    problems.push(...parsed.problems);
    entities = parsed.settings ?? NO_ENTITIES;
  }
  problems.push(...crossCheck(sources, outOfScope), ...checkSlotEntities(sources, entities));
  if (problems.length > 0) throw new CatalogueError(problems);
  return catalogueFromValidated(sources.map((source) => source.intent), botTexts, outOfScope?.examples ?? [], entities);
}
