// The scripted shopper conversations of `npm run bench:tasks` (issue 17): the YAML files next to
// this module (dev.yaml for development, heldout.yaml only to measure), their schema, and their
// deterministic expansion into tasks. Pure: no server, no database. bench/tasks.ts runs the tasks,
// test/bench/tasks-data.test.ts checks the files.
//
// A scenario is one situation (an order in some state, a request, an identity) with several ways of
// saying each turn. It expands into `count` tasks (at most, and by default, identities × formats ×
// the first turn's variants, each once; see expandTasks for the order), the other turns' variants
// taken in rotation. Turns are said in order; `answers` are said when the bot asks for their slot
// (the e-mail address of an anonymous shopper, a new address), whenever it does. Placeholders
// ({order}, {email}, …) are filled per task from its world (`taskWorld`): its own customer and
// order, and another customer's order as a decoy.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

export const TASKS_DIR = import.meta.dirname;
export const TASK_FILES = ['dev.yaml', 'heldout.yaml'] as const;

export const LANGUAGES = ['en', 'de', 'zh'] as const;
export const SPLITS = ['dev', 'heldout'] as const;
export type Language = (typeof LANGUAGES)[number];
export type Split = (typeof SPLITS)[number];
export type Identity = 'signed_in' | 'anonymous';
/** How the shopper writes the order number: `#48213`, `48213` (only once the bot asked), `NW-2025-0042`, `nw-2025-0042`. */
export type OrderFormat = 'hash' | 'bare' | 'nw' | 'nw_lower';
export type OrderStatus = 'processing' | 'shipped' | 'delivered' | 'cancelled';
export type RefundStatus = 'requested' | 'processing' | 'refunded';

/** Every placeholder a script may use, filled per task (see TaskWorld). */
export const PLACEHOLDERS = [
  'order', 'order_bare', 'order_id', 'wrong_order', 'decoy_order', 'decoy_order_id',
  'email', 'name', 'address', 'new_address', 'carrier', 'tracking_number', 'expected_date', 'item',
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
const PLACEHOLDER = /\{([a-z_]+)\}/g;

const text = z.string().trim().min(1);
/** One text or several variants of it. */
const variants = z.union([text, z.array(text).min(1)]).transform((value) => (typeof value === 'string' ? [value] : value));
const orderStatus = z.enum(['processing', 'shipped', 'delivered', 'cancelled']);
const refundStatus = z.enum(['requested', 'processing', 'refunded']);

const turnSchema = z.strictObject({
  /** What the shopper says: variants, with placeholders. */
  say: variants,
  /** Only in tasks of this identity (the e-mail turn of an anonymous shopper). */
  when: z.enum(['signed_in', 'anonymous']).optional(),
  /** Facts the bot's reply just before this turn must contain (a confirmation naming the order and its items). */
  bot_before: z.array(text).optional(),
  /** The bot answers this turn with this intent (an interruption answered before the form resumes). */
  reply_intent: z.string().optional(),
});

/** What the shopper answers when the bot asks for a slot (the conversation's form is asking for it), whenever that comes. */
const answerSchema = z.strictObject({
  slot: z.string(),
  say: variants,
  when: z.enum(['signed_in', 'anonymous']).optional(),
});

const expectSchema = z.strictObject({
  /** An action that ran and answered (details.action of a bot reply), with these slots, template and confirmation. */
  action: z.strictObject({
    name: z.string(),
    template: z.string().optional(),
    confirmed: z.boolean().optional(),
    slots: z.record(z.string(), text).optional(),
  }).optional(),
  /** No action of these names ran confirmed (a declined or abandoned confirmation). */
  not_confirmed: z.array(z.string()).optional(),
  /** No action ran at all. */
  no_action: z.boolean().optional(),
  /** What the final bot reply must contain (language-independent values). */
  facts: z.array(text).default([]),
  /** The final bot reply holds this text of _bot.yaml, in the task's language. */
  final_bot_text: z.enum(['form_cancelled', 'action_declined']).optional(),
  /** No form is open at the end. */
  form_closed: z.boolean().optional(),
  /** The shop's rows afterwards. */
  db: z.array(z.strictObject({
    order: z.enum(['own', 'decoy']),
    status: orderStatus.optional(),
    shipping_address: text.optional(),
    refund_status: refundStatus.nullable().optional(),
  })).default([]),
});

const scenarioSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
  language: z.enum(LANGUAGES),
  /** The intent the shopper means (for reports). */
  intent: z.string(),
  identities: z.array(z.enum(['signed_in', 'anonymous'])).min(1).default(['signed_in', 'anonymous']),
  formats: z.array(z.enum(['hash', 'bare', 'nw', 'nw_lower'])).min(1),
  order: z.strictObject({ status: orderStatus, refund: refundStatus.nullable().default(null) }),
  decoy: z.strictObject({ status: orderStatus }).default({ status: 'shipped' }),
  /** How many tasks; default identities × formats × the first turn's variants. */
  count: z.number().int().positive().max(200).optional(),
  /** The new delivery addresses the shopper gives ({new_address}), taken in rotation. */
  new_address: variants.optional(),
  /** Said in this order, each once the bot answered the one before. */
  turns: z.array(turnSchema).min(1),
  /** Said instead of the next turn when the bot asks for their slot (each at most once). */
  answers: z.array(answerSchema).default([]),
  expect: expectSchema,
});

export const taskFileSchema = z.strictObject({
  split: z.enum(SPLITS),
  scenarios: z.array(scenarioSchema).min(1),
}).superRefine((file, context) => {
  const ids = new Set<string>();
  file.scenarios.forEach((scenario, index) => {
    const at = (...path: (string | number)[]) => ['scenarios', index, ...path];
    const problem = (message: string, ...path: (string | number)[]) => context.addIssue({ code: 'custom', message: `${scenario.id}: ${message}`, path: at(...path) });
    if (ids.has(scenario.id)) problem('a second scenario of this id', 'id');
    ids.add(scenario.id);
    for (const [where, value] of scenarioTexts(scenario)) {
      for (const [, name] of value.matchAll(PLACEHOLDER)) {
        if (!(PLACEHOLDERS as readonly string[]).includes(name!)) problem(`unknown placeholder {${name}} in ${where}`);
        if (name === 'new_address' && !scenario.new_address) problem(`{new_address} in ${where} without new_address`);
      }
    }
    const first = scenario.turns[0]!;
    if (first.when) problem('the first turn must be said in every task', 'turns', 0);
    if (first.bot_before) problem('the first turn has no bot reply before it', 'turns', 0);
    if (scenario.formats.includes('bare') && first.say.some((say) => say.includes('{order}'))) problem('a bare order number is only said after the bot asked for it, never in the first turn', 'formats');
    if (scenario.expect.no_action && scenario.expect.action) problem('expects an action and none', 'expect');
    const product = scenario.identities.length * scenario.formats.length * first.say.length;
    if (scenario.count !== undefined && scenario.count > product) problem(`count ${scenario.count} is more than the ${product} different tasks (identities × formats × first-turn variants)`, 'count');
    const slots = scenario.answers.map((answer) => `${answer.slot}/${answer.when ?? 'all'}`);
    if (new Set(slots).size !== slots.length) problem('two answers for one slot', 'answers');
  });
});

export type TaskFile = z.infer<typeof taskFileSchema>;
export type Scenario = TaskFile['scenarios'][number];
export type Expectation = Scenario['expect'];

function scenarioTexts(scenario: z.infer<typeof scenarioSchema>): Array<[string, string]> {
  const { expect } = scenario;
  return [
    ...scenario.turns.flatMap((turn, t) => [...turn.say, ...(turn.bot_before ?? [])].map((value): [string, string] => [`turn ${t + 1}`, value])),
    ...scenario.answers.flatMap((answer) => answer.say.map((value): [string, string] => [`the answer for ${answer.slot}`, value])),
    ...expect.facts.map((value): [string, string] => ['expect.facts', value]),
    ...Object.values(expect.action?.slots ?? {}).map((value): [string, string] => ['expect.action.slots', value]),
    ...expect.db.flatMap((row) => (row.shipping_address ? [['expect.db', row.shipping_address] as [string, string]] : [])),
  ];
}

/** Parses and validates one task file; throws with every problem and its path. */
export function parseTaskFile(source: string, name = 'tasks'): TaskFile {
  const parsed = taskFileSchema.safeParse(parse(source));
  if (!parsed.success) throw new Error(`${name}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n  ')}`);
  return parsed.data;
}

export function loadTaskFiles(dir = TASKS_DIR): TaskFile[] {
  return TASK_FILES.map((file) => parseTaskFile(readFileSync(join(dir, file), 'utf8'), file));
}

export interface TaskTurn {
  /** With placeholders. */
  say: string;
  botBefore: string[];
  replyIntent?: string;
}

export interface TaskAnswer {
  slot: string;
  /** With placeholders. */
  say: string;
}

export interface Task {
  /** `<scenario>/<identity>/<format>/<n>`; unique over all files. */
  id: string;
  /** Its position over all files: numbers the task's world (order numbers, e-mail address). */
  index: number;
  scenario: string;
  split: Split;
  language: Language;
  intent: string;
  identity: Identity;
  format: OrderFormat;
  order: { status: OrderStatus; refund: RefundStatus | null };
  decoy: { status: OrderStatus };
  newAddress: string | null;
  turns: TaskTurn[];
  answers: TaskAnswer[];
  expect: Expectation;
}

/** Every task of the files, in order; the same files always give the same tasks. */
export function expandTasks(files: readonly TaskFile[]): Task[] {
  const tasks: Task[] = [];
  for (const file of files) {
    for (const scenario of file.scenarios) {
      const identities = scenario.identities;
      const combinations = identities.length * scenario.formats.length;
      const openings = scenario.turns[0]!.say.length;
      for (let j = 0; j < (scenario.count ?? combinations * openings); j += 1) {
        // Task j: combination c of identity and format, its k-th round; the opening is shifted by c,
        // so that any first n tasks spread over openings and combinations, and all of them make the full product.
        const c = j % combinations;
        const k = Math.floor(j / combinations);
        const identity = identities[c % identities.length]!;
        const format = scenario.formats[Math.floor(c / identities.length)]!;
        const variant = (k + c) % openings;
        const turns = scenario.turns
          .filter((turn) => !turn.when || turn.when === identity)
          .map((turn, t) => ({
            // Later turns rotate with the task, so that they pair with different openings.
            say: turn.say[(t === 0 ? variant : j + k + t) % turn.say.length]!,
            botBefore: turn.bot_before ?? [],
            ...(turn.reply_intent ? { replyIntent: turn.reply_intent } : {}),
          }));
        tasks.push({
          id: `${scenario.id}/${identity}/${format}/${variant + 1}`,
          index: tasks.length,
          scenario: scenario.id,
          split: file.split,
          language: scenario.language,
          intent: scenario.intent,
          identity,
          format,
          order: scenario.order,
          decoy: scenario.decoy,
          newAddress: scenario.new_address ? scenario.new_address[j % scenario.new_address.length]! : null,
          turns,
          answers: scenario.answers
            .filter((answer) => !answer.when || answer.when === identity)
            .map((answer, a) => ({ slot: answer.slot, say: answer.say[(j + k + a + 1) % answer.say.length]! })),
          expect: scenario.expect,
        });
      }
    }
  }
  // Two tasks of one id would be the same conversation counted twice.
  const seen = new Set<string>();
  for (const task of tasks) {
    if (seen.has(task.id)) throw new Error(`task ${task.id} twice: scenario ids must be unique over all files`);
    seen.add(task.id);
  }
  return tasks;
}

// ---------------------------------------------------------------------------------------------
// The world of one task: the shop rows it needs, all derived from its index (dates from `now`).

export interface ShopOrderRow {
  number: string;
  customerId: string;
  status: OrderStatus;
  items: Array<{ name: string; quantity: number }>;
  totalCents: number;
  currency: string;
  shippingAddress: string;
  carrier: string | null;
  trackingNumber: string | null;
  trackingUrl: string | null;
  expectedDelivery: Date | null;
  refundStatus: RefundStatus | null;
  placedAt: Date;
}

export interface ShopCustomerRow {
  id: string;
  email: string;
  name: string;
}

export interface TaskWorld {
  customer: ShopCustomerRow;
  order: ShopOrderRow;
  decoyCustomer: ShopCustomerRow;
  decoyOrder: ShopOrderRow;
  values: Record<Placeholder, string | null>;
  /** What of the decoy must never reach the shopper (unless the shopper typed it). */
  decoySecrets: string[];
}

const DAY_MS = 86_400_000;
const CARRIERS = ['DHL', 'UPS', 'DPD', 'GLS', 'Hermes'];
const ITEMS = ['Blue desk lamp', 'Linen cushion cover', 'Ceramic vase', 'Oak bookshelf', 'Stoneware mug', 'Wool throw', 'Terracotta planter', 'Tea set'];
// Items, names and streets nobody but the decoy has, so that a leak is unmistakable.
const DECOY_ITEMS = ['Walnut side table', 'Copper kettle', 'Velvet armchair', 'Rattan laundry basket'];
const NAMES: Record<Language, string[]> = {
  en: ['Olivia Hart', 'Samuel Reed', 'Grace Turner', 'Daniel Brooks', 'Emma Collins'],
  de: ['Jonas Becker', 'Lena Hoffmann', 'Felix Schulz', 'Marie Wagner', 'Paul Richter'],
  zh: ['王芳', '李娜', '张伟', '刘洋', '陈静'],
};
const DECOY_NAMES = ['Quentin Vasquez-Hale', 'Ottilie Brandauer', 'Ximena Okonkwo'];
const ADDRESSES: Record<Language, string[]> = {
  en: ['18 Maple Avenue, Portland, OR 97205, USA', '7 Harbour Road, Brighton BN1 1AA, UK', '230 Pine Street, Denver, CO 80202, USA'],
  de: ['Gartenweg 3, 50667 Köln, Deutschland', 'Am Markt 9, 04109 Leipzig, Deutschland', 'Seestraße 21, 80802 München, Deutschland'],
  zh: ['广州市天河区体育西路 58 号, 510620', '杭州市西湖区文三路 90 号, 310012', '成都市武侯区人民南路 4 段 12 号, 610041'],
};
const DECOY_STREET = '4 Juniper Close, Aberdeen AB10 1XY, UK';

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const isoDate = (date: Date) => date.toISOString().slice(0, 10);
const at = <T>(list: readonly T[], index: number) => list[index % list.length]!;

/** Order numbers of the task's format: five digits (typed `#71234` or `71234`) or `NW-…` (typed as is or in lower case). */
function numbers(task: Task): { own: string; decoy: string; wrong: string } {
  if (task.format === 'hash' || task.format === 'bare') {
    // 7xxxx own, 8xxxx decoys, 9xxxx never exist; the demo data (src/shop/seed.ts) uses 4xxxx to 6xxxx.
    return { own: String(70_000 + task.index), decoy: String(80_000 + task.index), wrong: String(90_000 + task.index) };
  }
  return { own: `NW-2025-${pad(task.index, 4)}`, decoy: `NW-2026-${pad(task.index, 4)}`, wrong: `NW-2027-${pad(task.index, 4)}` };
}

/** As the shopper types it in this task's format. */
function typed(task: Task, number: string): string {
  switch (task.format) {
    case 'hash':
      return `#${number}`;
    case 'bare':
    case 'nw':
      return number;
    case 'nw_lower':
      return number.toLowerCase();
  }
}

function orderRow(options: { number: string; customerId: string; status: OrderStatus; refund: RefundStatus | null; items: string[]; address: string; carrier: string; tracking: string; now: number; index: number; currency: string }): ShopOrderRow {
  const { status, now } = options;
  const shipped = status === 'shipped' || status === 'delivered';
  const dayOffset = { processing: 4, shipped: 2, delivered: -3, cancelled: null }[status];
  return {
    number: options.number,
    customerId: options.customerId,
    status,
    items: options.items.map((name, i) => ({ name, quantity: i + 1 })),
    totalCents: 1_990 + (options.index % 50) * 100,
    currency: options.currency,
    shippingAddress: options.address,
    carrier: shipped ? options.carrier : null,
    trackingNumber: shipped ? options.tracking : null,
    trackingUrl: shipped ? `https://tracking.example.com/${options.carrier.toLowerCase()}/${options.tracking}` : null,
    // A date column: midnight UTC, as the shop's seed writes it.
    expectedDelivery: dayOffset === null ? null : new Date(isoDate(new Date(now + dayOffset * DAY_MS))),
    refundStatus: options.refund,
    placedAt: new Date(now - 3 * DAY_MS),
  };
}

/** The task's customer and order, the decoy's, and the values of its placeholders. */
export function taskWorld(task: Task, now = Date.now()): TaskWorld {
  const i = task.index;
  const number = numbers(task);
  const name = at(NAMES[task.language], i);
  const customer: ShopCustomerRow = { id: `bench_cus_${pad(i, 5)}`, email: `shopper.${pad(i, 5)}@bench-mail.example`, name };
  const decoyCustomer: ShopCustomerRow = { id: `bench_decoy_${pad(i, 5)}`, email: `q.vasquez.${pad(i, 5)}@decoy-mail.example`, name: at(DECOY_NAMES, i) };
  const carrier = at(CARRIERS, i);
  const currency = task.language === 'zh' ? 'CNY' : 'EUR';
  const items = i % 3 === 0 ? [at(ITEMS, i), at(ITEMS, i + 3)] : [at(ITEMS, i)];
  const order = orderRow({ number: number.own, customerId: customer.id, status: task.order.status, refund: task.order.refund, items, address: `${name}, ${at(ADDRESSES[task.language], i)}`, carrier, tracking: `${carrier.slice(0, 2).toUpperCase()}${pad(4_400_000 + i * 37, 10)}`, now, index: i, currency });
  const decoyOrder = orderRow({ number: number.decoy, customerId: decoyCustomer.id, status: task.decoy.status, refund: null, items: [at(DECOY_ITEMS, i)], address: `${decoyCustomer.name}, ${DECOY_STREET}`, carrier: at(CARRIERS, i + 1), tracking: `ZX${pad(9_900_000 + i * 41, 10)}`, now, index: i + 7, currency });
  const values: Record<Placeholder, string | null> = {
    order: typed(task, number.own),
    order_bare: typed(task, number.own).replace(/^#/, ''),
    order_id: number.own,
    wrong_order: typed(task, number.wrong),
    decoy_order: typed(task, number.decoy),
    decoy_order_id: number.decoy,
    email: customer.email,
    name: customer.name,
    address: order.shippingAddress,
    new_address: task.newAddress,
    carrier: order.carrier,
    tracking_number: order.trackingNumber,
    expected_date: order.expectedDelivery ? isoDate(order.expectedDelivery) : null,
    item: order.items[0]!.name,
  };
  const decoySecrets = [decoyOrder.number, decoyOrder.trackingNumber, decoyCustomer.email, decoyCustomer.name, DECOY_STREET, ...decoyOrder.items.map((item) => item.name)].filter((value): value is string => value !== null);
  return { customer, order, decoyCustomer, decoyOrder, values, decoySecrets };
}

/** A script text with the task's values; throws on a placeholder this task has no value for. */
export function fill(template: string, world: TaskWorld, task: Pick<Task, 'id'>): string {
  return template.replace(PLACEHOLDER, (_match, name: string) => {
    const value = world.values[name as Placeholder];
    if (value === undefined || value === null) throw new Error(`${task.id}: {${name}} has no value in this task (order ${world.order.status})`);
    return value;
  });
}
