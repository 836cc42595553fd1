// npm run bench:tasks [-- --concurrency 4 --split dev|heldout|all --language en|de|zh --only TEXT --limit N --max-seconds S --transcripts --heldout-details]
//
// Task success over scripted shopper conversations (issue 17). The conversations are data
// (bench/tasks/dev.yaml, and bench/tasks/heldout.yaml, which is only for measuring), expanded
// deterministically into tasks by bench/tasks/scripts.ts. Each task gets a shop world of its own,
// written straight into the reference shop's tables (its customer with a unique e-mail address, its
// order in the state the scenario needs, and another customer's order as a decoy), then talks to a
// real server (in this process: embedded Postgres in a private temporary DATA_DIR, the trained
// starter model, the reference shop answering the actions) over a socket.io client on 127.0.0.1,
// signed in with a customer token the shop signed (HS256) or anonymous.
//
// The shopper says the scenario's turns in order, each once the bot answered the one before; when
// the bot asks for a slot that the scenario has an answer for (the e-mail address, the new
// address), that answer comes first. A task succeeds when all of:
//   1. the expected action ran and answered (`details.action` of a bot reply in Postgres), with the
//      expected template, confirmation and slots (the order number compared without '#', in upper
//      case); a server that does not record slots yet is counted in `slots_unchecked`;
//   2. the final bot reply holds the expected facts (order number, tracking number, date, …), the
//      shop's rows are as expected (a cancellation, a new address, nothing changed), and the
//      per-turn checks hold (the confirmation names the order and its items; an interruption is
//      answered with its own intent);
//   3. no bot reply holds anything of the decoy customer (order number, tracking number, e-mail
//      address, name, address, items) that the shopper did not type;
// and the conversation was not handed over. A handover ends the task's script (the bot is silent
// then). Latency per turn: message sent → the bot's reply to it received.
//
// stdout: one JSON line per subset (language × split), then one for all. stderr: progress, every
// failed task with its reasons (with --transcripts, the whole conversation), and failures grouped by
// scenario. Failed held-out tasks are listed with the kinds of their reasons only, unless
// --heldout-details: what they said and got is not for debugging against (bench/tasks/heldout.yaml).
// Bounded: each turn waits at most 10 s for its reply, and no task starts after --max-seconds (900).
// About 400 tasks, under a minute on 2 cores after the server's start.
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { loadCatalogue, type Catalogue } from '../src/catalogue/index.ts';
import type { RunningServer } from '../src/server.ts';
import { createPrismaClient, type PrismaClient } from '../src/store/prisma.ts';
import { ask, connectVisitor, embeddedDatabaseUrl, startTestServer, temporaryDirectory } from '../test/helpers/server.ts';
import { expandTasks, fill, LANGUAGES, loadTaskFiles, SPLITS, taskWorld, type Task, type TaskAnswer, type TaskTurn, type TaskWorld } from './tasks/scripts.ts';

const root = resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '4' },
    split: { type: 'string', default: 'all' },
    language: { type: 'string' },
    only: { type: 'string' },
    limit: { type: 'string' },
    'max-seconds': { type: 'string', default: '900' },
    transcripts: { type: 'boolean', default: false },
    'heldout-details': { type: 'boolean', default: false },
  },
});

const concurrency = Math.max(1, Number(args.concurrency) || 4);
const maxSeconds = Math.max(1, Number(args['max-seconds']) || 900);
/** The English success bar of issue 17. */
const ENGLISH_TARGET = 0.9;

// ---------------------------------------------------------------------------------------------
// What the runner reads back from Postgres

/** `details.action` of a bot reply (src/dialogue/service.ts); `slots` and `confirmed` only on servers that record them. */
interface ActionRecord {
  name: string;
  ok: boolean;
  slots?: Record<string, unknown>;
  confirmed?: boolean;
  response?: string;
  template?: string;
  reason?: string;
}

interface StoredMessage {
  id: string;
  role: string;
  text: string;
  source: string | null;
  intent: string | null;
  replyToId: string | null;
  details: unknown;
}

interface SentTurn {
  text: string;
  messageId: string;
  latencyMs: number;
  /** A scripted turn (null: an answer to the bot's question for a slot). */
  turn: TaskTurn | null;
}

interface Outcome {
  task: Task;
  success: boolean;
  reasons: string[];
  turns: number;
  latencies: number[];
  handoff: boolean;
  slotsUnchecked: boolean;
  transcript: string[];
}

const actionOf = (message: StoredMessage): ActionRecord | null => {
  const action = (message.details as { action?: ActionRecord } | null)?.action;
  return action && typeof action.name === 'string' ? action : null;
};

const describeAction = (action: ActionRecord) =>
  `${action.name}(${action.ok ? (action.template ?? action.response ?? 'ok') : `failed: ${action.reason}`}${action.confirmed !== undefined ? `, confirmed ${action.confirmed}` : ''}${action.slots ? ` ${JSON.stringify(action.slots)}` : ''})`;

/** `no_action`, `missing_facts`, `leak`, …: the first word of a reason. */
const reasonKind = (reason: string) => reason.split(':')[0]!;

const clip = (text: string, length = 160) => (text.length > length ? `${text.slice(0, length - 1)}…` : text).replace(/\s+/g, ' ');

/** Slot values as the shop reads them: an order number without '#', in upper case; an e-mail address in lower case; text without outer spaces and a final full stop. */
function normalSlot(slot: string, value: unknown): string {
  const text = String(value).normalize('NFKC').trim().replace(/\s+/g, ' ');
  if (slot === 'order_number') return text.replace(/^#\s*/, '').toUpperCase();
  if (slot === 'email') return text.toLowerCase();
  return text.replace(/[.。]$/, '');
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
}

// ---------------------------------------------------------------------------------------------
// The bench

class TaskBench {
  private readonly now = Date.now();

  constructor(
    private readonly server: RunningServer,
    private readonly prisma: PrismaClient,
    private readonly catalogue: Catalogue,
    private readonly customerTokenSecret: string,
  ) {}

  private async seed(world: TaskWorld): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.shopCustomer.createMany({ data: [world.customer, world.decoyCustomer] }),
      this.prisma.shopOrder.createMany({ data: [world.order, world.decoyOrder] }),
    ]);
  }

  /** A customer token as the shop's page would pass it to the widget. */
  private sign(customer: TaskWorld['customer']): Promise<string> {
    return new SignJWT({ email: customer.email, name: customer.name })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(customer.id)
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(this.customerTokenSecret));
  }

  /** The slot the bot is asking for now: the stored form's, else the slot whose prompt the reply is. */
  private async askingFor(conversationId: string, reply: { text: string; intent?: string }, task: Task, answers: readonly TaskAnswer[]): Promise<string | null> {
    const conversation = await this.prisma.conversation.findUnique({ where: { id: conversationId }, select: { form: true } });
    const asking = (conversation?.form as { asking?: unknown } | null)?.asking;
    if (typeof asking === 'string') return asking;
    if (!reply.intent) return null;
    for (const { slot } of answers) {
      try {
        if (reply.text.includes(this.catalogue.slotPrompt(reply.intent, slot, task.language))) return slot;
      } catch {
        // the intent has no such slot
      }
    }
    return null;
  }

  async run(task: Task): Promise<Outcome> {
    const world = taskWorld(task, this.now);
    const sent: SentTurn[] = [];
    let handoff = false;
    let error: string | null = null;
    let socket: Socket | null = null;
    let conversationId: string | null = null;
    try {
      await this.seed(world);
      const auth = { language: task.language, ...(task.identity === 'signed_in' ? { customerToken: await this.sign(world.customer) } : {}) };
      const connection = await connectVisitor(this.server.url, auth);
      socket = connection.socket;
      conversationId = connection.session.conversationId;
      const turns = [...task.turns];
      const answers = [...task.answers];
      const opening = turns.shift()!;
      let next: { say: string; turn: TaskTurn | null } | undefined = { say: opening.say, turn: opening };
      while (next) {
        const text = fill(next.say, world, task);
        const started = performance.now();
        const { ack, reply } = await ask(socket, text);
        sent.push({ text, messageId: ack.messageId, latencyMs: performance.now() - started, turn: next.turn });
        if (reply.source === 'handoff') {
          handoff = true;
          break;
        }
        const asking = await this.askingFor(conversationId, reply, task, answers);
        const answer = answers.findIndex((candidate) => candidate.slot === asking);
        if (answer >= 0) {
          const [chosen] = answers.splice(answer, 1);
          next = { say: chosen!.say, turn: null };
        } else {
          const turn = turns.shift();
          next = turn && { say: turn.say, turn };
        }
      }
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    } finally {
      socket?.close();
    }
    try {
      return await this.judge(task, world, { sent, handoff, error, conversationId });
    } catch (caught) {
      const reason = `error: judging failed: ${caught instanceof Error ? caught.message : String(caught)}`;
      return { task, success: false, reasons: [reason], turns: sent.length, latencies: sent.map((turn) => turn.latencyMs), handoff, slotsUnchecked: false, transcript: [] };
    }
  }

  private async judge(task: Task, world: TaskWorld, run: { sent: SentTurn[]; handoff: boolean; error: string | null; conversationId: string | null }): Promise<Outcome> {
    const { expect } = task;
    const reasons: string[] = [];
    const messages: StoredMessage[] = run.conversationId
      ? await this.prisma.message.findMany({ where: { conversationId: run.conversationId }, orderBy: { seq: 'asc' }, select: { id: true, role: true, text: true, source: true, intent: true, replyToId: true, details: true } })
      : [];
    const conversation = run.conversationId ? await this.prisma.conversation.findUnique({ where: { id: run.conversationId }, select: { status: true, form: true } }) : null;
    const bot = messages.filter((message) => message.role === 'bot');
    const repliesTo = (messageId: string | undefined) => bot.filter((message) => message.replyToId === messageId);
    const last = run.sent.at(-1);
    const finalReplies = repliesTo(last?.messageId);
    const finalText = (finalReplies.length > 0 ? finalReplies : bot.slice(-1)).map((message) => message.text).join('\n');
    const actions = bot.map(actionOf).filter((action): action is ActionRecord => action !== null);
    const handoff = run.handoff || conversation?.status === 'waiting_for_agent' || bot.some((message) => message.source === 'handoff');
    let slotsUnchecked = false;

    if (run.error) reasons.push(`error: ${run.error}`);
    if (handoff) reasons.push(`handoff: after turn ${run.sent.length} "${clip(run.sent.at(-1)?.text ?? '', 60)}": "${clip(bot.at(-1)?.text ?? '')}"`);

    if (expect.action) {
      const wanted = expect.action;
      const slots = Object.entries(wanted.slots ?? {}).map(([slot, value]) => [slot, normalSlot(slot, fill(value, world, task))] as const);
      const slotsMatch = (action: ActionRecord) => {
        if (!action.slots) {
          if (slots.length > 0) slotsUnchecked = true;
          return true;
        }
        return slots.every(([slot, value]) => action.slots![slot] !== undefined && normalSlot(slot, action.slots![slot]) === value);
      };
      const candidates = actions.filter((action) => action.name === wanted.name);
      const match = candidates.find((action) => action.ok && (wanted.template === undefined || action.template === wanted.template) && (wanted.confirmed === undefined || action.confirmed === wanted.confirmed) && slotsMatch(action));
      if (candidates.length === 0) reasons.push(`no_action: ${wanted.name} never ran (ran: ${actions.map(describeAction).join(', ') || 'nothing'})`);
      else if (!match) {
        const expected = [wanted.template && `template ${wanted.template}`, wanted.confirmed !== undefined && `confirmed ${wanted.confirmed}`, slots.length > 0 && `slots ${JSON.stringify(Object.fromEntries(slots))}`].filter(Boolean).join(', ');
        reasons.push(`wrong_action: expected ${wanted.name} with ${expected || 'success'}, ran ${candidates.map(describeAction).join(', ')}`);
      }
    }
    for (const name of expect.not_confirmed ?? []) {
      const confirmed = actions.find((action) => action.name === name && action.confirmed === true);
      if (confirmed) reasons.push(`confirmed: ${describeAction(confirmed)} ran although the shopper did not confirm`);
    }
    if (expect.no_action && actions.length > 0) reasons.push(`action_ran: ${actions.map(describeAction).join(', ')}`);

    const missing = expect.facts.map((fact) => fill(fact, world, task)).filter((fact) => !finalText.toLowerCase().includes(fact.toLowerCase()));
    if (missing.length > 0) reasons.push(`missing_facts: ${missing.join(', ')} not in the final reply "${clip(finalText)}"`);
    if (expect.final_bot_text) {
      const wanted = this.catalogue.botText(expect.final_bot_text, task.language);
      if (!finalText.includes(wanted)) reasons.push(`final_text: expected the ${expect.final_bot_text} text, got "${clip(finalText)}"`);
    }
    if (expect.form_closed && conversation?.form) reasons.push(`form_open: ${clip(JSON.stringify(conversation.form), 200)}`);

    for (const row of expect.db) {
      const number = row.order === 'own' ? world.order.number : world.decoyOrder.number;
      const stored = await this.prisma.shopOrder.findUnique({ where: { number }, select: { status: true, shippingAddress: true, refundStatus: true } });
      if (!stored) {
        reasons.push(`db: ${row.order} order ${number} is gone`);
        continue;
      }
      if (row.status !== undefined && stored.status !== row.status) reasons.push(`db: ${row.order} order ${number} is ${stored.status}, expected ${row.status}`);
      if (row.refund_status !== undefined && stored.refundStatus !== row.refund_status) reasons.push(`db: ${row.order} order ${number} refund ${stored.refundStatus}, expected ${row.refund_status}`);
      if (row.shipping_address !== undefined) {
        const wanted = normalSlot('address', fill(row.shipping_address, world, task));
        if (normalSlot('address', stored.shippingAddress) !== wanted) reasons.push(`db: ${row.order} order ${number} ships to "${clip(stored.shippingAddress, 80)}", expected "${wanted}"`);
      }
    }

    run.sent.forEach((sent, index) => {
      if (!sent.turn) return;
      const before = index > 0 ? repliesTo(run.sent[index - 1]!.messageId).map((message) => message.text).join('\n') : '';
      const lacking = sent.turn.botBefore.map((fact) => fill(fact, world, task)).filter((fact) => !before.toLowerCase().includes(fact.toLowerCase()));
      if (lacking.length > 0) reasons.push(`bot_before: turn ${index + 1} "${clip(sent.text, 40)}" answers a reply without ${lacking.join(', ')}: "${clip(before)}"`);
      if (sent.turn.replyIntent) {
        const intents = repliesTo(sent.messageId).map((message) => message.intent ?? message.source);
        if (!intents.includes(sent.turn.replyIntent)) reasons.push(`reply_intent: turn ${index + 1} "${clip(sent.text, 40)}" answered as ${intents.join(', ') || 'nothing'}, expected ${sent.turn.replyIntent}`);
      }
    });

    // What the shopper typed may come back (the number of an order that is not theirs); nothing else of the decoy may.
    const typed = run.sent.map((sent) => sent.text).join('\n').toLowerCase();
    const secrets = world.decoySecrets.filter((secret) => !typed.includes(secret.toLowerCase()));
    for (const message of bot) {
      const leaked = secrets.filter((secret) => message.text.toLowerCase().includes(secret.toLowerCase()));
      if (leaked.length > 0) reasons.push(`leak: ${leaked.join(', ')} of another customer in "${clip(message.text)}"`);
    }

    const transcript = messages.map((message) => {
      const action = actionOf(message);
      const label = message.role === 'bot' ? `bot [${message.source}${message.intent ? ` ${message.intent}` : ''}${action ? ` ${describeAction(action)}` : ''}]` : message.role;
      return `    ${label}: ${clip(message.text, 240)}`;
    });
    return { task, success: reasons.length === 0, reasons, turns: run.sent.length, latencies: run.sent.map((sent) => sent.latencyMs), handoff, slotsUnchecked, transcript };
  }
}

// ---------------------------------------------------------------------------------------------

function selectTasks(all: Task[]): Task[] {
  if (args.split !== 'all' && !(SPLITS as readonly string[]).includes(args.split!)) throw new Error(`--split must be dev, heldout or all`);
  if (args.language !== undefined && !(LANGUAGES as readonly string[]).includes(args.language)) throw new Error(`--language must be one of ${LANGUAGES.join(', ')}`);
  const chosen = all.filter((task) => (args.split === 'all' || task.split === args.split) && (!args.language || task.language === args.language) && (!args.only || task.id.includes(args.only)));
  return args.limit ? chosen.slice(0, Math.max(0, Number(args.limit))) : chosen;
}

function summary(subset: string, outcomes: readonly Outcome[], notRun: number, language: string | null, split: string | null) {
  const latencies = outcomes.flatMap((outcome) => outcome.latencies).sort((a, b) => a - b);
  const succeeded = outcomes.filter((outcome) => outcome.success).length;
  const round = (value: number) => Math.round(value * 1000) / 1000;
  return {
    bench: 'tasks',
    subset,
    language,
    split,
    tasks: outcomes.length,
    succeeded,
    success_rate: outcomes.length > 0 ? round(succeeded / outcomes.length) : null,
    ...(language === 'en' ? { success_target: ENGLISH_TARGET } : {}),
    mean_turns: outcomes.length > 0 ? round(outcomes.reduce((sum, outcome) => sum + outcome.turns, 0) / outcomes.length) : null,
    handoffs: outcomes.filter((outcome) => outcome.handoff).length,
    turns: latencies.length,
    turn_p50_ms: percentile(latencies, 50),
    turn_p99_ms: percentile(latencies, 99),
    slots_unchecked: outcomes.filter((outcome) => outcome.slotsUnchecked).length,
    not_run: notRun,
  };
}

async function main(): Promise<void> {
  const tasks = selectTasks(expandTasks(loadTaskFiles()));
  if (tasks.length === 0) throw new Error('no task matches the options');
  const dataDir = temporaryDirectory('frontdesk-bench-tasks-');
  // The shop's key for signing its customers' tokens, configured on the server.
  const customerTokenSecret = randomBytes(32).toString('hex');
  let server: RunningServer | null = null;
  let prisma: PrismaClient | null = null;
  const cleanup = async () => {
    await prisma?.$disconnect().catch(() => {});
    await server?.close().catch(() => {});
    dataDir.remove();
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    const startedAt = performance.now();
    console.error(`bench:tasks: ${tasks.length} tasks, starting the server (embedded Postgres, model training on first start) in ${dataDir.path}`);
    ({ server } = await startTestServer({
      DATA_DIR: dataDir.path,
      INTENTS_DIR: join(root, 'intents'),
      REFERENCE_SHOP: 'on',
      CUSTOMER_TOKEN_SECRET: customerTokenSecret,
      RETRAIN_SCHEDULE: 'off',
      // One address opens a connection per task: the per-address limits (20× the burst) are raised.
      MESSAGES_PER_SECOND: '50',
      MESSAGE_BURST: '500',
    }));
    prisma = createPrismaClient(embeddedDatabaseUrl(dataDir.path), concurrency + 2);
    const catalogue = await loadCatalogue(join(root, 'intents'));
    const bench = new TaskBench(server, prisma, catalogue, customerTokenSecret);
    console.error(`bench:tasks: server ready at ${server.url} after ${Math.round((performance.now() - startedAt) / 1000)} s; ${concurrency} conversations at a time, at most ${maxSeconds} s`);
    // One conversation that is not measured, so that the first tasks do not pay for loading the model's session.
    const warmUp = await connectVisitor(server.url, { language: 'en' });
    await ask(warmUp.socket, 'hello').finally(() => warmUp.socket.close());

    const deadline = performance.now() + maxSeconds * 1000;
    const outcomes: Outcome[] = [];
    const queue = [...tasks];
    const workers = Array.from({ length: concurrency }, async () => {
      for (let task = queue.shift(); task && performance.now() < deadline; task = queue.shift()) {
        const outcome = await bench.run(task);
        outcomes.push(outcome);
        if (!outcome.success) {
          // A held-out failure names only its kinds: its phrasings and replies are not for debugging against.
          const details = task.split === 'dev' || args['heldout-details'];
          console.error(`FAIL ${task.id} [${task.language}/${task.split}] ${details ? outcome.reasons.join(' | ') : [...new Set(outcome.reasons.map(reasonKind))].join(', ')}`);
          if (args.transcripts && details) console.error(outcome.transcript.join('\n'));
        }
        if (outcomes.length % 25 === 0) console.error(`bench:tasks: ${outcomes.length}/${tasks.length} done, ${outcomes.filter((o) => o.success).length} succeeded`);
      }
    });
    await Promise.all(workers);
    const ran = new Set(outcomes.map((outcome) => outcome.task));
    const notRun = tasks.filter((task) => !ran.has(task));
    if (notRun.length > 0) console.error(`bench:tasks: --max-seconds reached, ${notRun.length} tasks not run`);

    // Failures by scenario and kind of reason, for whoever works on the dialogue.
    const byScenario = new Map<string, { failed: number; total: number; reasons: Map<string, number> }>();
    for (const outcome of outcomes) {
      const entry = byScenario.get(outcome.task.scenario) ?? { failed: 0, total: 0, reasons: new Map() };
      entry.total += 1;
      if (!outcome.success) {
        entry.failed += 1;
        for (const kind of new Set(outcome.reasons.map(reasonKind))) entry.reasons.set(kind, (entry.reasons.get(kind) ?? 0) + 1);
      }
      byScenario.set(outcome.task.scenario, entry);
    }
    console.error('bench:tasks: failed / run per scenario, by kind of reason');
    for (const [scenario, entry] of byScenario) {
      if (entry.failed > 0) console.error(`  ${scenario}: ${entry.failed}/${entry.total} ${[...entry.reasons].map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
    }
    console.error(`bench:tasks: ${outcomes.length} tasks in ${Math.round((performance.now() - startedAt) / 1000)} s`);

    for (const language of LANGUAGES) {
      for (const split of SPLITS) {
        const subset = outcomes.filter((outcome) => outcome.task.language === language && outcome.task.split === split);
        const missed = notRun.filter((task) => task.language === language && task.split === split).length;
        if (subset.length + missed > 0) console.log(JSON.stringify(summary(`${language}/${split}`, subset, missed, language, split)));
      }
    }
    console.log(JSON.stringify(summary('overall', outcomes, notRun.length, null, null)));
  } finally {
    await cleanup();
  }
}

await main();
