import { z } from 'zod';
import { templatePlaceholders } from './templates.ts';

/** snake_case: lowercase letters and digits, words joined by single underscores. */
export const INTENT_NAME_PATTERN = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** BCP 47-ish language tag with a lowercase primary subtag: `en`, `de`, `pt-BR`, `zh-Hans`. */
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/;
/** Answers and examples are complete text: no template placeholders such as `{{Order Number}}`. */
const PLACEHOLDER_PATTERN = /\{\{[^}]*\}\}|\{\{|\}\}/;

export const DEFAULT_MIN_EXAMPLES = 8;
export const MAX_LABEL_LENGTH = 40;
export const MAX_TEXT_LENGTH = 1000;

/** A string that may hold placeholders: only answer templates, checked against what fills them. */
function templateText(what: string, max = MAX_TEXT_LENGTH) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .trim()
    .min(1, { error: `${what} must not be empty` })
    .max(max, { error: `${what} must be at most ${max} characters` });
}

function text(what: string, max = MAX_TEXT_LENGTH) {
  return templateText(what, max).refine((value) => !PLACEHOLDER_PATTERN.test(value), {
    error: `${what} must be complete text without {{...}} placeholders`,
  });
}

function identifier(what: string) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`) })
    .regex(INTENT_NAME_PATTERN, { error: `${what} must be snake_case (a-z, 0-9, single underscores)` });
}

/** How often the bot asks for a missing slot before it hands over, unless the slot says otherwise. */
export const DEFAULT_MAX_ASKS = 2;

/** What an intent needs before its action can run: an entity of a type, asked for in the visitor's language. */
const slotSchema = z
  .strictObject(
    {
      name: identifier('a slot name'),
      entity: identifier('entity'),
      required: z.boolean({ error: 'required must be true or false' }).default(true),
      max_asks: z.number({ error: 'max_asks must be a number' }).int({ error: 'max_asks must be a whole number' }).min(1, { error: 'max_asks must be at least 1' }).max(5, { error: 'max_asks must be at most 5' }).default(DEFAULT_MAX_ASKS),
      prompt: withEnglish(perLanguage(text('a prompt'), 'prompt'), 'an English prompt is required (en is the fallback language)'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'a slot must be a mapping with name, entity and prompt') },
  )
  .transform(({ max_asks, ...slot }) => ({ ...slot, maxAsks: max_asks }));

/** The action an intent runs (its webhook is configured, never named here) and the variables it returns. */
const actionSchema = z.strictObject(
  {
    name: identifier('the action name'),
    returns: z.array(identifier('a returned variable'), { error: 'returns must be a list of variable names' }).default([]),
    // Another confident intent interrupting the form: ask its open question again after answering (resume), or drop it.
    on_interruption: z.enum(['resume', 'drop'], { error: 'on_interruption must be resume or drop' }).default('resume'),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'action must be a mapping with name and returns') },
).transform(({ on_interruption, ...action }) => ({ ...action, onInterruption: on_interruption }));

/** An intent with an action answers with the template the action names, per language. */
const templatesSchema = z.record(
  z.string().regex(INTENT_NAME_PATTERN),
  withEnglish(perLanguage(templateText('a template'), 'a template'), 'an English template is required (en is the fallback language)'),
  { error: 'templates must map template names to texts per language' },
);

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
      slots: z.array(slotSchema, { error: 'slots must be a list of slots' }).default([]),
      action: actionSchema.optional(),
      templates: templatesSchema.default({}),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'an intent file must be a YAML mapping') },
  ).superRefine(checkForm);
}

interface FormFields {
  handoff: boolean;
  slots: Array<z.output<typeof slotSchema>>;
  action?: z.output<typeof actionSchema> | undefined;
  templates: z.output<typeof templatesSchema>;
}

/**
 * Rules of a form: slots and templates belong to an action, an action answers with templates, slot
 * names are unique, and a template reads only slots and what the action returns.
 */
function checkForm(intent: FormFields, context: z.RefinementCtx): void {
  const problem = (path: PropertyKey[], message: string) => context.addIssue({ code: 'custom', path, message });
  const { slots, action, templates } = intent;
  if (!action) {
    if (slots.length > 0) problem(['slots'], 'slots need an action that uses them');
    if (Object.keys(templates).length > 0) problem(['templates'], 'templates need an action that chooses them');
    return;
  }
  if (intent.handoff) problem(['action'], 'an intent that hands over cannot run an action');
  if (Object.keys(templates).length === 0) problem(['templates'], `action "${action.name}" needs templates to answer with`);
  const seen = new Set<string>();
  slots.forEach((slot, index) => {
    if (seen.has(slot.name)) problem(['slots', index, 'name'], `duplicate slot "${slot.name}"`);
    seen.add(slot.name);
  });
  const known = new Set([...seen, ...action.returns]);
  for (const [name, languages] of Object.entries(templates)) {
    for (const [language, template] of Object.entries(languages)) {
      const read = templatePlaceholders(template);
      if ('error' in read) {
        problem(['templates', name, language], read.error);
        continue;
      }
      for (const unknown of read.names.filter((placeholder) => !known.has(placeholder))) {
        problem(['templates', name, language], `placeholder {{${unknown}}} is neither a slot nor returned by action "${action.name}" (known: ${[...known].join(', ') || 'none'})`);
      }
    }
  }
}

/** The fields an intent file may have, for the "unknown field" message. */
export const INTENT_FIELDS = ['name', 'label', 'labels', 'description', 'handoff', 'examples', 'answers', 'slots', 'action', 'templates'] as const;
export const SLOT_FIELDS = ['name', 'entity', 'required', 'max_asks', 'prompt'] as const;
export const ACTION_FIELDS = ['name', 'returns', 'on_interruption'] as const;

/** The fields allowed where an unknown one was found in an intent file. */
export function intentFieldsAt(path: readonly PropertyKey[]): readonly string[] {
  if (path[0] === 'slots' && path.length === 2) return SLOT_FIELDS;
  if (path[0] === 'action' && path.length === 1) return ACTION_FIELDS;
  return INTENT_FIELDS;
}

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
export const BOT_TEXT_KEYS = ['clarify', 'rephrase', 'handoff', 'form_cancelled', 'action_failed', 'action_declined', 'form_resumed', 'handoff_closed', 'handoff_unavailable', 'followup_email_saved', 'followup_email_invalid', 'waiting_position'] as const;
export type BotTextKey = (typeof BOT_TEXT_KEYS)[number];

export const DEFAULT_BOT_TEXTS: Record<BotTextKey, Record<string, string>> = {
  clarify: { en: "I'm not sure I understood. Did you mean one of these?" },
  rephrase: { en: "I'm not sure I understood. Could you say it in other words?" },
  handoff: { en: "I'm passing you to a member of our support team. Someone will be with you shortly, and they will see this conversation." },
  form_cancelled: { en: 'All right, I have stopped. Is there anything else I can help you with?' },
  action_failed: { en: "Sorry, I can't look that up right now. I'm passing you to a member of our support team, who will see this conversation." },
  action_declined: { en: "All right, I haven't changed anything. Is there anything else I can help you with?" },
  form_resumed: { en: 'Now, back to your earlier request:' },
  // The desk is not staffed (src/availability): `{back}` is when the team is back, `{position}` the place in the queue, `{email}` the visitor's address.
  handoff_closed: { en: 'Our support team is away right now and back {back}. Leave your e-mail address here and we will answer you there as well; this conversation stays open.' },
  handoff_unavailable: { en: 'Nobody from our support team is available right now. Leave your e-mail address here and we will answer you there as well as soon as someone is back; this conversation stays open.' },
  followup_email_saved: { en: 'Thank you. We will send our answer to {email} as well as here.' },
  followup_email_invalid: { en: "That doesn't look like an e-mail address. Could you check it (for example name@example.com)?" },
  waiting_position: { en: 'Thank you, your message is with our team. You are number {position} in the queue; someone will be with you as soon as possible.' },
};

export function botTextsSchema() {
  const entry = (key: BotTextKey) => withEnglish(perLanguage(text(key), key), `an English ${key} text is required (en is the fallback language)`);
  // The texts of forms and actions came later: a _bot.yaml without them speaks the English defaults.
  const later = (key: BotTextKey) => entry(key).default(DEFAULT_BOT_TEXTS[key]);
  return z.strictObject(
    { clarify: entry('clarify'), rephrase: entry('rephrase'), handoff: entry('handoff'), form_cancelled: later('form_cancelled'), action_failed: later('action_failed'), action_declined: later('action_declined'), form_resumed: later('form_resumed'),
      handoff_closed: later('handoff_closed'), handoff_unavailable: later('handoff_unavailable'), followup_email_saved: later('followup_email_saved'), followup_email_invalid: later('followup_email_invalid'), waiting_position: later('waiting_position') },
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
