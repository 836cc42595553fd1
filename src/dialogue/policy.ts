/**
 * The dialogue policy: given what the models said about a visitor message and the conversation's
 * state, decide how the bot answers. Pure: no I/O, so every rule is unit-tested directly. An intent
 * with an action opens a form: the policy asks for its slots, and when they are filled returns the
 * action to run; the service runs it and hands the result to `decideAfterAction`.
 */
import { z } from 'zod';
import type { ActionResult } from '../actions/client.ts';
import type { Entity } from '../entities/index.ts';

export type BotReplySource = 'intent' | 'retrieval' | 'clarify' | 'handoff';
export type ConversationState = {
  status: 'bot' | 'waiting_for_agent' | 'agent' | 'resolved';
  consecutiveFallbacks: number;
  /** The open form; absent when none is. */
  form?: FormState;
};

const slotValueSchema = z.union([z.string(), z.number(), z.strictObject({ amount: z.number(), currency: z.string() })]);
export type SlotValue = z.infer<typeof slotValueSchema>;

/** An intent's action collecting its slots, kept with the conversation between messages. */
const formStateSchema = z.strictObject({
  intent: z.string(),
  /** Slot name → the value of the entity that filled it. */
  slots: z.record(z.string(), slotValueSchema),
  /** The slot the bot asked for last, if any. */
  asking: z.string().nullable(),
  /** How often the bot asked for each slot. */
  asks: z.record(z.string(), z.number().int()),
  /** The shop asked the visitor to confirm what the action would do: its template and variables, asked `asks` times. */
  confirming: z.strictObject({ template: z.string(), variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])), asks: z.number().int() }).optional(),
});
export type FormState = z.infer<typeof formStateSchema>;

/** The stored form (JSON), or undefined for none or one this version cannot read. */
export function parseFormState(stored: unknown): FormState | undefined {
  const parsed = formStateSchema.safeParse(stored);
  return parsed.success ? parsed.data : undefined;
}

/** Whole messages that cancel an open form (compared after normalizeCommand). */
export const CANCEL_WORDS: ReadonlySet<string> = new Set([
  'cancel', 'stop', 'never mind', 'nevermind', 'forget it', 'quit',
  'abbrechen', 'abbruch', 'vergiss es', 'egal',
  '算了', '取消', '不用了',
  'annuler', 'laisse tomber', 'cancelar', 'olvídalo', 'déjalo',
]);

function normalizeCommand(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}]+/gu, ' ').trim();
}

export function isCancelCommand(text: string): boolean {
  return CANCEL_WORDS.has(normalizeCommand(text));
}

/** Whole replies that say yes or no to a confirmation question (compared after normalizeCommand). */
const YES_WORDS: ReadonlySet<string> = new Set([
  'yes', 'y', 'yeah', 'yep', 'yup', 'sure', 'ok', 'okay', 'yes please', 'please do', 'go ahead', 'do it', 'confirm', 'correct', 'right', 'that s right',
  'ja', 'jawohl', 'ja bitte', 'genau', 'klar', 'bitte', 'gerne', 'richtig', 'passt',
  '是', '是的', '好', '好的', '对', '对的', '确认', '可以', '行', '嗯',
  'oui', 'oui merci', 'd accord', 'exact', 'sí', 'si', 'vale', 'claro', 'correcto',
]);
const NO_WORDS: ReadonlySet<string> = new Set([
  'no', 'n', 'nope', 'nah', 'no thanks', 'no thank you', 'don t', 'dont', 'do not', 'wait',
  'nein', 'nein danke', 'lieber nicht', 'doch nicht',
  '不', '不是', '不要', '否', '不对', '别',
  'non', 'non merci', 'no gracias',
]);
// A reply that starts with one of these says yes or no even with more words ("yes, cancel it", "好的，取消吧").
const YES_STARTS = ['yes', 'yeah', 'yep', 'sure', 'ja', 'oui', 'sí', '是', '好', '对', '确认', '可以'];
const NO_STARTS = ['no', 'nope', 'nein', 'non', '不', '别'];

function startsWithWord(text: string, words: readonly string[]): boolean {
  return words.some((word) => text === word || text.startsWith(`${word} `) || (/\p{Script=Han}/u.test(word) && text.startsWith(word)));
}

/** Whether a reply to a confirmation question says yes, no, or neither (null). */
export function yesOrNo(text: string): 'yes' | 'no' | null {
  const normalized = normalizeCommand(text);
  if (YES_WORDS.has(normalized)) return 'yes';
  if (NO_WORDS.has(normalized)) return 'no';
  if (startsWithWord(normalized, NO_STARTS)) return 'no';
  if (startsWithWord(normalized, YES_STARTS)) return 'yes';
  return null;
}

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

export interface SlotView {
  name: string;
  entity: string;
  required: boolean;
  maxAsks: number;
}

/** What becomes of an open form when another confident intent interrupts it: asked again after that answer, or dropped. */
export type InterruptionRule = 'resume' | 'drop';

/** What the policy needs of the intent catalogue; every text comes from it, in the visitor's language. */
export interface IntentCatalogueView {
  get(name: string): { name: string; handoff: boolean; slots?: readonly SlotView[]; action?: { name: string; onInterruption?: InterruptionRule } | undefined } | undefined;
  answer(name: string, language: string | undefined, variant: number): string;
  /** The intent's suggestion button text. */
  label(name: string, language: string | undefined): string;
  /**
   * The bot's own words: `clarify` (with suggestions), `rephrase` (without), `handoff` (after repeated fallbacks, or when the visitor asks with the `handoff` event),
   * `form_cancelled` (the visitor cancelled a form), `action_failed` (an action could not answer: apology and handover),
   * `action_declined` (the visitor said no to a confirmation), `form_resumed` (leads back to an interrupted form's question).
   */
  botText(key: BotTextKeyView, language: string | undefined): string;
  slotPrompt(intent: string, slot: string, language: string | undefined): string;
  /** undefined: the intent has no such template. */
  renderTemplate(intent: string, template: string, language: string | undefined, variables: Readonly<Record<string, string | number | boolean | null>>): string | undefined;
}

/**
 * The bot's own texts. The desk's availability adds: `handoff_closed` (a handover outside business
 * hours, `{back}`), `handoff_unavailable` (nobody available, or a wait too long), `followup_email_saved`
 * (`{email}`), `followup_email_invalid`, `waiting_position` (`{position}`).
 */
export type BotTextKeyView =
  | 'clarify' | 'rephrase' | 'handoff' | 'form_cancelled' | 'action_failed' | 'action_declined' | 'form_resumed'
  | 'handoff_closed' | 'handoff_unavailable' | 'followup_email_saved' | 'followup_email_invalid' | 'waiting_position';

/**
 * Whether people can answer now (src/availability computes it; the policy only reads it). Absent:
 * the desk counts as staffed, as before availability existed.
 */
export interface Availability {
  /** An agent is available and the desk is within its business hours. */
  staffed: boolean;
  /** When the team is back, in the visitor's words ("Monday 09:00 CET"); null: within hours, nobody available. */
  back: string | null;
  /** The conversation's place in the queue (1: next) while it waits for an agent. */
  queuePosition?: number | undefined;
  /** The offline follow-up: whether the bot asked for an e-mail address, and the one the visitor gave. */
  followup?: { asked: boolean; email: string | null } | undefined;
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
  /**
   * The action to run now (its form's slots are filled); `reply` is then null, and `nextState`
   * holds the form for `decideAfterAction`, which decides the reply from the action's result.
   */
  action?: PlannedAction;
  /** The offline follow-up: `ask` the bot asked for an e-mail address; `email` the visitor gave one (stored with the conversation). */
  followup?: { ask: true } | { email: string };
}

export interface PlannedAction {
  name: string;
  intent: string;
  slots: Record<string, SlotValue>;
  /** The visitor said yes to the shop's confirmation question. */
  confirmed: boolean;
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
  /** The visitor's message (cancelling a form is read from it). */
  text?: string;
  /** The entities found in the message: they fill an open form's slots. */
  entities?: readonly Entity[];
  /** Whether people can answer now; absent: staffed. */
  availability?: Availability | undefined;
}

/**
 * Decides the reply to a visitor message. A handover while the desk is not staffed takes the
 * offline path (see `offlineHandover`); a message while waiting for an agent is acknowledged (see
 * `decideWhileWaiting`).
 */
export function decide(input: PolicyInput): Decision {
  const decision = decideOpen(input);
  return input.state.status === 'waiting_for_agent' || input.state.status === 'agent' ? decision : offlineIfUnstaffed(decision, input.catalogue, input.language, input.availability);
}

function decideOpen(input: PolicyInput): Decision {
  const { state, guess, catalogue, language, settings = DEFAULT_POLICY_SETTINGS } = input;
  if (state.status === 'waiting_for_agent') return decideWhileWaiting(input);
  if (state.status === 'agent') {
    return { reply: null, nextState: state };
  }
  // A resolved conversation that receives a message is open again, without its form.
  const open: ConversationState = { status: 'bot', consecutiveFallbacks: state.status === 'resolved' ? 0 : state.consecutiveFallbacks };

  const entities = input.entities ?? [];
  const confident = withSlotsFilled(guess, catalogue, entities) ?? (guess.intent ? catalogue.get(guess.intent) : undefined);
  let interrupted: FormState | undefined;
  if (state.form && state.status === 'bot') {
    const continued = continueForm(state.form, input, confident?.name);
    if (continued) return continued;
    // Another confident intent interrupted the form: by its rule, asked again after that answer or dropped.
    if (catalogue.get(state.form.intent)?.action?.onInterruption !== 'drop') interrupted = state.form;
  }
  if (confident) {
    // A handing-over intent's answers are what the bot says while handing over; the form is dropped.
    if (confident.handoff) return handOver(catalogue.answer(confident.name, language, input.variant), { intent: confident.name, confidence: guess.confidence });
    // A new form replaces the interrupted one.
    if (confident.action) {
      const form = fillSlots({ intent: confident.name, slots: {}, asking: null, asks: {} }, confident.slots ?? [], input.entities ?? []);
      return nextFormStep(form, input);
    }
    const answer = catalogue.answer(confident.name, language, input.variant);
    const resumed = interrupted ? resumeQuestion(interrupted, catalogue, language) : undefined;
    return {
      reply: {
        source: 'intent',
        text: resumed ? `${answer}\n\n${resumed}` : answer,
        intent: confident.name,
        confidence: guess.confidence,
      },
      nextState: { status: 'bot', consecutiveFallbacks: 0, ...(resumed ? { form: interrupted } : {}) },
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
export function decideHandoffRequest(input: { state: ConversationState; catalogue: IntentCatalogueView; language?: string | undefined; availability?: Availability | undefined }): Decision {
  const { state } = input;
  if (state.status === 'agent' || state.status === 'waiting_for_agent') return { reply: null, nextState: state };
  return offlineIfUnstaffed(handOver(input.catalogue.botText('handoff', input.language), {}), input.catalogue, input.language, input.availability);
}

/**
 * A handover while nobody can answer says so, with when the team is back, and asks for an e-mail
 * address instead of promising someone shortly. Other decisions pass unchanged.
 */
export function offlineIfUnstaffed(decision: Decision, catalogue: IntentCatalogueView, language: string | undefined, availability: Availability | undefined): Decision {
  if (!availability || availability.staffed || decision.reply?.source !== 'handoff' || decision.nextState.status !== 'waiting_for_agent') return decision;
  // An apology (an action that could not answer) stays, followed by the offline text; a promise of someone shortly is replaced.
  const apology = catalogue.botText('action_failed', language);
  const text = decision.reply.text === apology ? `${apology}\n\n${offlineText(catalogue, language, availability)}` : offlineText(catalogue, language, availability);
  return { ...decision, reply: { ...decision.reply, text }, followup: { ask: true } };
}

function offlineText(catalogue: IntentCatalogueView, language: string | undefined, availability: Availability): string {
  return availability.back === null
    ? catalogue.botText('handoff_unavailable', language)
    : fill(catalogue.botText('handoff_closed', language), { back: availability.back });
}

/**
 * A visitor message while the conversation waits for an agent: an e-mail address the bot asked
 * for is stored (or, when it is not one, asked again); anything else is acknowledged with the
 * conversation's place in the queue. The conversation keeps waiting.
 */
function decideWhileWaiting(input: PolicyInput): Decision {
  const { state, catalogue, language, availability } = input;
  const followup = availability?.followup;
  if (followup?.asked && followup.email === null) {
    const email = (input.entities ?? []).find((entity) => entity.type === 'email');
    if (email && typeof email.value === 'string') {
      return { reply: { source: 'handoff', text: fill(catalogue.botText('followup_email_saved', language), { email: email.value }) }, nextState: state, followup: { email: email.value } };
    }
    if (input.text?.includes('@')) return { reply: { source: 'handoff', text: catalogue.botText('followup_email_invalid', language) }, nextState: state };
  }
  const position = availability?.queuePosition;
  if (position === undefined) return { reply: null, nextState: state };
  return { reply: { source: 'handoff', text: fill(catalogue.botText('waiting_position', language), { position: String(position) }) }, nextState: state };
}

/**
 * A conversation that waited longer than HANDOFF_WAIT_OFFLINE_MS takes the offline path once: the
 * bot says nobody is available (or when the team is back) and asks for an e-mail address. Nothing
 * when it no longer waits or was asked already.
 */
export function decideLongWait(input: { state: ConversationState; catalogue: IntentCatalogueView; language?: string | undefined; availability: Availability }): Decision {
  const { state, availability } = input;
  if (state.status !== 'waiting_for_agent' || availability.followup?.asked) return { reply: null, nextState: state };
  const text = offlineText(input.catalogue, input.language, { ...availability, back: availability.staffed ? null : availability.back });
  return { reply: { source: 'handoff', text }, nextState: state, followup: { ask: true } };
}

/** `{name}` placeholders of a bot text filled; unknown ones are left as they are. */
function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/**
 * A request that names what an action needs ("when does NW-2024-0042 arrive?") is that action's
 * intent when the model ranks it among its first few, even if a plain answer ranks higher or the
 * model is unsure: the order number says the visitor wants this order looked at, not the general
 * text. A confident handing-over or action intent keeps its place.
 */
function withSlotsFilled(guess: IntentGuess, catalogue: IntentCatalogueView, entities: readonly Entity[]) {
  const top = guess.intent ? catalogue.get(guess.intent) : undefined;
  if (top?.handoff || top?.action || entities.length === 0) return undefined;
  const types = new Set(entities.map((entity) => entity.type));
  for (const { intent, confidence } of guess.ranking.slice(0, SLOT_ROUTING_RANKS)) {
    const candidate = catalogue.get(intent);
    if (confidence < SLOT_ROUTING_MIN_CONFIDENCE) break;
    if (candidate?.action && candidate.slots?.some((slot) => slot.required && types.has(slot.entity))) return candidate;
  }
  return undefined;
}

/** How far down the model's ranking, and from what confidence, an intent whose slots the message fills is taken. */
const SLOT_ROUTING_RANKS = 3;
const SLOT_ROUTING_MIN_CONFIDENCE = 0.05;

/** The interrupted form's open question, led in by `form_resumed`; undefined when it has none. */
function resumeQuestion(form: FormState, catalogue: IntentCatalogueView, language: string | undefined): string | undefined {
  const question = form.confirming
    ? catalogue.renderTemplate(form.intent, form.confirming.template, language, form.confirming.variables)
    : form.asking !== null ? catalogue.slotPrompt(form.intent, form.asking, language) : undefined;
  return question === undefined ? undefined : `${catalogue.botText('form_resumed', language)} ${question}`;
}

/**
 * A message while a form is open: cancel it; fill or correct slots from the message's entities
 * (a correction while confirming asks the shop again); answer the confirmation question; or,
 * when it gave the form nothing, let another confident intent interrupt it (null). Otherwise the
 * form goes on: its question is asked again.
 */
function continueForm(form: FormState, input: PolicyInput, confidentIntent: string | undefined): Decision | null {
  const { catalogue, language } = input;
  const definition = catalogue.get(form.intent);
  // The catalogue changed since the form was opened: it is dropped.
  if (!definition?.action) return null;
  if (input.text !== undefined && isCancelCommand(input.text)) {
    return { reply: { source: 'intent', text: catalogue.botText('form_cancelled', language), intent: form.intent }, nextState: { status: 'bot', consecutiveFallbacks: 0 } };
  }
  const slots = definition.slots ?? [];
  const { confirming, ...open } = form;
  const filled = fillSlots(open, slots, input.entities ?? []);
  // A free-text slot takes any reply, so a question in its place ("do you ship to Norway?") is not an answer to it.
  const question = input.text !== undefined && /[?？]\s*$/u.test(input.text);
  const answering = new Set(slots.filter((slot) => slot.entity !== 'text' || !question).map((slot) => slot.name));
  const answered = Object.keys(filled.slots).some((slot) => answering.has(slot) && filled.slots[slot] !== form.slots[slot]);
  if (confirming && !answered) {
    const answer = input.text === undefined ? null : yesOrNo(input.text);
    if (answer === 'yes') return planAction(open, definition.action.name, true);
    if (answer === 'no') return { reply: { source: 'intent', text: catalogue.botText('action_declined', language), intent: form.intent }, nextState: { status: 'bot', consecutiveFallbacks: 0 } };
  }
  if (!answered && confidentIntent !== undefined && confidentIntent !== form.intent) return null;
  if (confirming && !answered) return askToConfirm(form, confirming, catalogue, language);
  return nextFormStep(filled, input);
}

/** The confirmation question again, or a handover once it went unanswered `DEFAULT_CONFIRMATION_ASKS` times. */
function askToConfirm(form: FormState, confirming: NonNullable<FormState['confirming']>, catalogue: IntentCatalogueView, language: string | undefined): Decision {
  if (confirming.asks >= CONFIRMATION_ASKS) return handOver(catalogue.botText('handoff', language), { intent: form.intent });
  const text = catalogue.renderTemplate(form.intent, confirming.template, language, confirming.variables);
  if (text === undefined) return handOver(catalogue.botText('action_failed', language), { intent: form.intent });
  return {
    reply: { source: 'intent', text, intent: form.intent },
    nextState: { status: 'bot', consecutiveFallbacks: 0, form: { ...form, asking: null, confirming: { ...confirming, asks: confirming.asks + 1 } } },
  };
}

/** How often the bot asks a confirmation question before it hands over. */
const CONFIRMATION_ASKS = 2;

/**
 * The message's entities into the form's slots: the slot asked for first, then the others in order,
 * each taking the first unused entity of its type. A filled slot takes a new value (a correction).
 */
export function fillSlots(form: FormState, slots: readonly SlotView[], entities: readonly Entity[]): FormState {
  const ordered = [...slots].sort((a, b) => Number(b.name === form.asking) - Number(a.name === form.asking));
  const unused = [...entities];
  const values = { ...form.slots };
  for (const slot of ordered) {
    const index = unused.findIndex((entity) => entity.type === slot.entity);
    if (index < 0) continue;
    values[slot.name] = unused.splice(index, 1)[0]!.value;
  }
  return { ...form, slots: values };
}

/** Ask for the first missing required slot, or run the action once none is missing. */
function nextFormStep(form: FormState, input: PolicyInput): Decision {
  const slots = input.catalogue.get(form.intent)?.slots ?? [];
  const missing = slots.find((slot) => slot.required && form.slots[slot.name] === undefined);
  if (missing) return askForSlot(form, missing, input.catalogue, input.language);
  return planAction(form, input.catalogue.get(form.intent)!.action!.name, false);
}

function planAction(form: FormState, action: string, confirmed: boolean): Decision {
  const { confirming: _answered, ...open } = form;
  return {
    reply: null,
    nextState: { status: 'bot', consecutiveFallbacks: 0, form: { ...open, asking: null } },
    action: { name: action, intent: form.intent, slots: form.slots, confirmed },
  };
}

/** The slot's question, or a handover once the bot has asked for it `maxAsks` times. */
function askForSlot(form: FormState, slot: SlotView, catalogue: IntentCatalogueView, language: string | undefined): Decision {
  const asked = form.asks[slot.name] ?? 0;
  if (asked >= slot.maxAsks) return handOver(catalogue.botText('handoff', language), { intent: form.intent });
  return {
    reply: { source: 'intent', text: catalogue.slotPrompt(form.intent, slot.name, language), intent: form.intent },
    nextState: { status: 'bot', consecutiveFallbacks: 0, form: { ...form, asking: slot.name, asks: { ...form.asks, [slot.name]: asked + 1 } } },
  };
}

export interface ActionOutcomeInput {
  /** The state `decide` returned with the action: its form holds the slots the action ran with. */
  state: ConversationState;
  result: ActionResult;
  catalogue: IntentCatalogueView;
  language?: string | undefined;
}

/**
 * The reply to an action's result: the template it chose, filled with the slots and its variables;
 * a question for the slot it asked for; or a handover. A failure, or an answer the catalogue cannot
 * render (unknown template or slot), is an apology and a handover: never an error text.
 */
export function decideAfterAction(input: ActionOutcomeInput): Decision {
  const { state, result, catalogue, language } = input;
  const form = state.form;
  const apologise = () => handOver(catalogue.botText('action_failed', language), form ? { intent: form.intent } : {});
  if (!form || !result.ok) return apologise();
  const response = result.data;
  switch (response.type) {
    case 'answer': {
      const variables = { ...printable(form.slots), ...response.variables };
      const text = catalogue.renderTemplate(form.intent, response.template, language, variables);
      if (text === undefined) return apologise();
      return { reply: { source: 'intent', text, intent: form.intent }, nextState: { status: 'bot', consecutiveFallbacks: 0 } };
    }
    case 'confirm': {
      const confirming = { template: response.template, variables: { ...printable(form.slots), ...response.variables }, asks: 0 };
      return askToConfirm(form, confirming, catalogue, language);
    }
    case 'ask_slot': {
      const slot = catalogue.get(form.intent)?.slots?.find((candidate) => candidate.name === response.slot);
      if (!slot) return apologise();
      // The shop asks for it again when the value it has does not do (a typo in an e-mail address).
      const { [slot.name]: _rejected, ...kept } = form.slots;
      return askForSlot({ ...form, slots: kept }, slot, catalogue, language);
    }
    case 'handoff':
      return handOver(catalogue.botText('handoff', language), { intent: form.intent });
  }
}

/** Slots a template can show: texts and numbers (an amount of money is shown through the action's variables). */
function printable(slots: Record<string, SlotValue>): Record<string, string | number> {
  return Object.fromEntries(Object.entries(slots).filter((entry): entry is [string, string | number] => typeof entry[1] !== 'object'));
}

function handOver(text: string, detail: { intent?: string; confidence?: number }): Decision {
  return {
    reply: { source: 'handoff', text, ...detail },
    nextState: { status: 'waiting_for_agent', consecutiveFallbacks: 0 },
  };
}
