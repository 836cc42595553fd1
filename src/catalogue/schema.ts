import { z } from 'zod';

/** snake_case: lowercase letters and digits, words joined by single underscores. */
export const INTENT_NAME_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** BCP 47-ish language tag with a lowercase primary subtag: `en`, `de`, `pt-BR`, `zh-Hans`. */
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
/** Answers and examples are complete text: no template placeholders such as `{{Order Number}}`. */
const PLACEHOLDER_PATTERN = /\{\{[^}]*\}\}|\{\{|\}\}/;

export const DEFAULT_MIN_EXAMPLES = 8;
export const MAX_LABEL_LENGTH = 40;
export const MAX_TEXT_LENGTH = 1000;

function text(what: string, max = MAX_TEXT_LENGTH) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} must be at most ${max} characters` })
    .refine((value) => !PLACEHOLDER_PATTERN.test(value), {
      error: `${what} must be complete text without {{...}} placeholders`,
    });
}

export function intentSchema(options: { minExamples: number }) {
  return z.strictObject(
    {
      name: z
        .string({ error: (issue) => (issue.input === undefined ? 'name is required' : 'name must be a string') })
        .regex(INTENT_NAME_PATTERN, { error: 'name must be snake_case (a-z, 0-9, single underscores)' }),
      label: text('label', MAX_LABEL_LENGTH),
      labels: perLanguage(text('a label', MAX_LABEL_LENGTH), 'labels').default({}),
      description: text('description'),
      handoff: z.boolean({ error: 'handoff must be true or false' }).default(false),
      examples: z
        .array(text('an example'), {
          error: (issue) => (issue.input === undefined ? 'examples is required' : 'examples must be a list of strings'),
        })
        .min(options.minExamples, { error: `at least ${options.minExamples} examples are required` }),
      answers: withEnglish(
        perLanguage(
          z
            .array(text('an answer'), { error: 'answers of a language must be a list of strings' })
            .min(1, { error: 'a language needs at least one answer variant' }),
          'answers',
          'lists of answers',
        ),
        'English answers are required (en is the fallback language)',
      ),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'an intent file must be a YAML mapping') },
  );
}

/** The fields an intent file may have, for the "unknown field" message. */
export const INTENT_FIELDS = ['name', 'label', 'labels', 'description', 'handoff', 'examples', 'answers'] as const;

/** A map from language code to `value` (answers, labels, bot texts). */
function perLanguage<T extends z.ZodType>(value: T, what: string, values = 'texts') {
  return z.record(
    z.string().regex(LANGUAGE_PATTERN, { error: `${what} languages must be language codes such as en, de, pt-BR` }),
    value,
    {
      error: (issue) => {
        if (issue.code !== 'invalid_type') return undefined;
        return issue.input === undefined ? `${what} is required` : `${what} must map language codes to ${values}`;
      },
    },
  );
}

/** English is the fallback language, so a per-language map must have it. */
function withEnglish<T extends z.ZodType<Record<string, unknown>>>(map: T, message: string) {
  return map.refine((value) => Object.hasOwn(value, 'en'), {
    error: message,
    path: ['en'],
    // also report a missing `en` when other languages have problems
    when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
  });
}

/**
 * What the bot says in its own words (not an intent's answer), per language. `_bot.yaml` in the
 * catalogue directory; without it the bot speaks the English DEFAULT_BOT_TEXTS.
 */
export const BOT_FILE = '_bot.yaml';
export const BOT_TEXT_KEYS = ['clarify', 'rephrase', 'handoff'] as const;
export type BotTextKey = (typeof BOT_TEXT_KEYS)[number];

export const DEFAULT_BOT_TEXTS: Record<BotTextKey, Record<string, string>> = {
  clarify: { en: "I'm not sure I understood. Did you mean one of these?" },
  rephrase: { en: "I'm not sure I understood. Could you say it in other words?" },
  handoff: { en: "I'm passing you to a member of our support team. Someone will be with you shortly, and they will see this conversation." },
};

export function botTextsSchema() {
  const entry = (key: BotTextKey) => withEnglish(perLanguage(text(key), key), `an English ${key} text is required (en is the fallback language)`);
  return z.strictObject(
    { clarify: entry('clarify'), rephrase: entry('rephrase'), handoff: entry('handoff') },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : `${BOT_FILE} must be a YAML mapping of ${BOT_TEXT_KEYS.join(', ')}`) },
  );
}

/**
 * Messages the bot has no intent for (keyboard mashes, random sentences, off-topic questions, and
 * questions only the knowledge documents answer): `_out_of_scope.yaml` in the catalogue directory.
 * They train one more class, `oos`, that soaks up probability, so that such messages fall back
 * (clarification, or the knowledge documents) instead of getting a confident wrong intent.
 */
export const OUT_OF_SCOPE_FILE = '_out_of_scope.yaml';
export const OUT_OF_SCOPE_KEYS = ['examples'] as const;

export function outOfScopeSchema() {
  return z.strictObject(
    {
      examples: z
        .array(text('an example'), {
          error: (issue) => (issue.input === undefined ? 'examples is required' : 'examples must be a list of strings'),
        })
        .min(1, { error: 'at least 1 out-of-scope example is required' }),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : `${OUT_OF_SCOPE_FILE} must be a YAML mapping with examples`) },
  );
}

export type IntentInput = z.input<ReturnType<typeof intentSchema>>;
