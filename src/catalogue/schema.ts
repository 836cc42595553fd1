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
      description: text('description'),
      handoff: z.boolean({ error: 'handoff must be true or false' }).default(false),
      examples: z
        .array(text('an example'), {
          error: (issue) => (issue.input === undefined ? 'examples is required' : 'examples must be a list of strings'),
        })
        .min(options.minExamples, { error: `at least ${options.minExamples} examples are required` }),
      answers: z
        .record(
          z.string().regex(LANGUAGE_PATTERN, { error: 'answer languages must be language codes such as en, de, pt-BR' }),
          z
            .array(text('an answer'), { error: 'answers of a language must be a list of strings' })
            .min(1, { error: 'a language needs at least one answer variant' }),
          {
            error: (issue) => {
              if (issue.code !== 'invalid_type') return undefined;
              return issue.input === undefined ? 'answers is required' : 'answers must map language codes to lists of answers';
            },
          },
        )
        .refine((answers) => Object.hasOwn(answers, 'en'), {
          error: 'English answers are required (en is the fallback language)',
          path: ['en'],
          // also report a missing `en` when other languages have problems
          when: (payload) => typeof payload.value === 'object' && payload.value !== null && !Array.isArray(payload.value),
        }),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'an intent file must be a YAML mapping') },
  );
}

export type IntentInput = z.input<ReturnType<typeof intentSchema>>;
