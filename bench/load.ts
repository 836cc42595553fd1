// npm run bench:load [-- --connections 1000 --rate 500 --duration 60 ...]
//
// Bounded load from real socket.io clients on 127.0.0.1 against frontdesk, then the same load
// against a bare Socket.IO echo server (bench/echo-server.ts) as the floor. Each server runs in its
// own child process; this process only generates load. End-to-end latency is message sent → reply
// received (frontdesk acknowledges only after the message is committed, and its reply is stored
// before it is sent). The last line of output is JSON.
//
// Options (all optional; the defaults are the acceptance load of issue 8):
//   --connections N   concurrent visitor connections (1000)
//   --rate N          messages per second over all connections (500)
//   --duration S      measured seconds (60)
//   --warmup S        seconds of the same load before measuring, not counted (5)
//   --drain S         seconds to wait for outstanding replies after the load stops (10)
//   --url URL         load an already running frontdesk instead of starting one (several URLs,
//                     comma-separated, spread the connections round-robin: N processes)
//   --processes N     start N frontdesk processes (1) on one Postgres of the bench's own with the
//                     Postgres Socket.IO adapter (SCALE_OUT=postgres), connections round-robin
//   --statements      count the Postgres statements per message (pg_stat_statements, nested ones
//                     from triggers too, with planning and execution time) and sample what the
//                     servers' connections wait for, on a Postgres of the bench's own
//   --forms           a text mix in which some visitors are handed over (see TEXTS)
//   --interval S      p50/p99 and the servers' memory per interval of S seconds (60), as JSON lines
//   --no-echo         skip the echo floor
//   --echo-duration S measured seconds of the echo floor (the same as --duration)
//   --profile DIR     run the frontdesk child under `node --cpu-prof --cpu-prof-dir DIR`
//   --server-log FILE write the frontdesk child's output (LOG_LEVEL, default warn) to FILE
//   --trace FILE      every measured frontdesk message as a JSON line (sent at, ms since the epoch;
//                     ack and reply latency; connection): to find when slow replies happen
//   --node-flags="F" more flags for the frontdesk children's node, space-separated: V8's
//                     (--trace-gc-nvp, a GC flag to try) or node's (--v8-pool-size=1)
//   DATABASE_URL, SCALE_OUT and other variables in the environment pass through to the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer as createNetServer } from 'node:net';
import pg from 'pg';
import { io, type Socket } from 'socket.io-client';
import { createLogger } from '../src/observability/logger.ts';
import { credentialsFile, openDatabase } from '../src/store/database.ts';

const root = resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    drain: { type: 'string', default: '10' },
    url: { type: 'string' },
    processes: { type: 'string', default: '1' },
    statements: { type: 'boolean', default: false },
    forms: { type: 'boolean', default: false },
    interval: { type: 'string', default: '60' },
    'no-echo': { type: 'boolean', default: false },
    'echo-duration': { type: 'string' },
    profile: { type: 'string' },
    'server-log': { type: 'string' },
    trace: { type: 'string' },
    'node-flags': { type: 'string' },
  },
});

const options = {
  connections: positive(args.connections, 'connections'),
  rate: positive(args.rate, 'rate'),
  durationS: positive(args.duration, 'duration'),
  warmupS: Number(args.warmup),
  drainS: positive(args.drain, 'drain'),
  processes: positive(args.processes, 'processes'),
  intervalS: positive(args.interval, 'interval'),
};

function positive(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number`);
  return number;
}

// Clear questions of intents that answer (no form, no handoff), so every message gets a bot reply.
const ANSWERED = [
  'what are your delivery options',
  'is there a fee to cancel an order',
  'I want a refund',
  'what payment methods do you accept',
  'how long does delivery take',
  'I forgot my password',
  'how do I create an account',
  'how do I subscribe to the newsletter',
  'where can I find my invoice',
  'what is your refund policy',
  'hello',
  'thank you',
];
// With --forms, three of them open a form that asks for an order number instead (the list before
// forms existed): the next, unrelated questions make the bot clarify and hand over, so about a fifth
// of the visitors end up waiting for an agent and are told their place in the queue.
const FORM_OPENERS: Record<number, string> = { 0: 'how do i cancel my order', 1: 'where is my order', 7: 'can I change my shipping address' };
const TEXTS = args.forms ? ANSWERED.map((text, index) => FORM_OPENERS[index] ?? text) : ANSWERED;

interface Interval {
  target: string;
  interval: number;
  from_s: number;
  sent: number;
  replied: number;
  p50_ms: number;
  p99_ms: number;
  /** Each server's memory at the end of the interval (MB), in the order of the URLs. */
  rss_mb: Array<number | null>;
  heap_used_mb: Array<number | null>;
  load_1m: number;
}

interface Memory {
  rssMb: number | null;
  heapUsedMb: number | null;
}

interface Result {
  target: string;
  connections: number;
  sent: number;
  acked: number;
  replied: number;
  errors: number;
  lost: number;
  errorCodes: Record<string, number>;
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  ackP99: number;
  serverCpuPercent: number | null;
  databaseCpuPercent: number | null;
  loadCpuPercent: number;
  /** WebSocket frames (engine.io messages, pings left out) per measured message, each way. */
  framesToServer: number;
  framesFromServer: number;
  intervals: Interval[];
  memoryStart: Memory[];
  memoryEnd: Memory[];
  load1m: number;
  statements: StatementCount | null;
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface Child {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
  output(): string;
}

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
  });
}

/** Starts a server child on a free loopback port and waits until `readyPath` answers 200. */
async function startChild(command: string[], env: Record<string, string | undefined>, readyPath: string, label: string): Promise<Child> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, command, { cwd: root, env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitedEarly = false;
  const exited = new Promise<void>((done) => child.once('exit', () => ((exitedEarly = true), done())));
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (exitedEarly) throw new Error(`${label} exited before serving:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not start within 180 s:\n${output}`);
    }
    const ok = await fetch(`${url}${readyPath}`).then((response) => response.ok, () => false);
    if (ok) break;
    await new Promise((done) => setTimeout(done, 250));
  }
  return {
    url,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}

/**
 * CPU seconds (user + system) a process and its children that have exited used so far, from /proc;
 * null where there is none. The exited children count: Postgres's autovacuum workers and backends come
 * and go during a run, and without their time a run's Postgres share came out negative.
 */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime, stime, cutime, cstime in clock ticks (100 Hz)
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}

interface Cpu {
  total: number;
  /** Of which Postgres processes. */
  database: number;
}

/** CPU seconds of a process and its descendants (a server's embedded Postgres), and of those that are Postgres. */
function treeCpu(pid: number): Cpu {
  const own = cpuSeconds(pid) ?? 0;
  const postgres = (() => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres';
    } catch {
      return false;
    }
  })();
  return childPids(pid).map(treeCpu).reduce((sum, child) => ({ total: sum.total + child.total, database: sum.database + child.database }), { total: own, database: postgres ? own : 0 });
}

function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // no children file: count the process alone
  }
}

/** Every process this bench started (servers, the bench's own Postgres) and theirs: what the servers cost. */
function childrenCpu(): Cpu {
  return childPids(process.pid).map(treeCpu).reduce((sum, child) => ({ total: sum.total + child.total, database: sum.database + child.database }), { total: 0, database: 0 });
}

/** A server's resident and used heap memory from its /metrics (prom-client's process metrics). */
async function serverMemory(url: string): Promise<Memory> {
  const text = await fetch(`${url}/metrics`, { headers: process.env.METRICS_TOKEN ? { authorization: `Bearer ${process.env.METRICS_TOKEN}` } : {}, signal: AbortSignal.timeout(5_000) })
    .then((response) => (response.ok ? response.text() : ''), () => '');
  const metric = (name: string) => {
    const value = new RegExp(`^${name} ([0-9.e+]+)`, 'm').exec(text)?.[1];
    return value === undefined ? null : round(Number(value) / 1_048_576);
  };
  return { rssMb: metric('frontdesk_process_process_resident_memory_bytes'), heapUsedMb: metric('frontdesk_process_nodejs_heap_size_used_bytes') };
}

const load1m = () => round(loadavg()[0]!);

// ---------------------------------------------------------------------------------------------
// Statements per message: pg_stat_statements on a Postgres of the bench's own

interface StatementCount {
  /** Statements the servers sent (top level), per measured message. */
  perMessage: number;
  /** Every statement Postgres ran, nested ones (triggers) included, per measured message. */
  withNestedPerMessage: number;
  transactionsPerMessage: number;
  /** WAL the whole cluster wrote (autovacuum and commits included), bytes per measured message. */
  walBytesPerMessage: number;
  /** The costliest statements: calls, milliseconds of planning and execution, and WAL bytes per message. */
  top: Array<{ query: string; toplevel: boolean; calls_per_message: number; plan_ms_per_message: number; ms_per_message: number; wal_bytes_per_message: number }>;
  /** What the servers' active connections waited for, sampled every 100 ms: mean connections per wait. */
  waits: Record<string, number>;
}

interface OwnDatabase {
  /** The application's URL, for the servers. */
  url: string;
  /** Starts counting anew. */
  reset(): Promise<void>;
  count(messages: number): Promise<StatementCount | null>;
  stop(): Promise<void>;
}

/**
 * The same embedded Postgres a server starts for itself, started here so that several servers can
 * share it; with `statements`, pg_stat_statements is loaded (a restart) and tracks nested statements.
 */
async function ownDatabase(dir: string, statements: boolean): Promise<OwnDatabase> {
  const logger = createLogger('silent');
  let database = await openDatabase({ dataDir: dir, logger });
  const { superuser } = JSON.parse(readFileSync(credentialsFile(dir), 'utf8')) as { superuser: { user: string; password: string } };
  const superuserUrl = () => {
    const url = new URL(database.url);
    url.username = superuser.user;
    url.password = superuser.password;
    return url.toString();
  };
  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: superuserUrl() });
    await client.connect();
    try {
      return (await client.query<T>(sql)).rows;
    } finally {
      await client.end();
    }
  };
  if (statements) {
    await query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
    await query(`ALTER SYSTEM SET pg_stat_statements.track = 'all'`);
    await query(`ALTER SYSTEM SET pg_stat_statements.track_planning = on`);
    await database.stop();
    database = await openDatabase({ dataDir: dir, logger });
    await query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
  }
  const transactions = async () => Number((await query<{ n: string }>(`SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`))[0]!.n);
  let transactionsAtReset = 0;
  // Active connections by wait event (null: on the CPU), sampled from pg_stat_activity while the load runs.
  const waits: Record<string, number> = {};
  let samples = 0;
  let issued = 0;
  let sampler: NodeJS.Timeout | null = null;
  const sampling = statements ? new pg.Client({ connectionString: superuserUrl() }) : null;
  await sampling?.connect();
  return {
    url: database.url,
    reset: async () => {
      if (!statements) return;
      await query('SELECT pg_stat_statements_reset()');
      await query(`SELECT pg_stat_reset_shared('wal')`);
      transactionsAtReset = await transactions();
      sampler = setInterval(() => {
        issued += 1;
        void sampling!.query<{ wait: string; n: number }>(
          `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait, count(*)::int AS n FROM pg_stat_activity
           WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid() AND backend_type = 'client backend' GROUP BY 1`,
        ).then(({ rows }) => {
          samples += 1;
          for (const row of rows) waits[row.wait] = (waits[row.wait] ?? 0) + row.n;
        }, () => {});
      }, 100);
    },
    count: async (messages) => {
      if (!statements || messages === 0) return null;
      clearInterval(sampler!);
      // Postgres reports its statistics in batches: give the last ones a moment.
      await new Promise((done) => setTimeout(done, 1_000));
      // The servers' statements (and their triggers') only: they run as the app role, this bench as the superuser.
      const rows = await query<{ query: string; toplevel: boolean; calls: string; plan: number; ms: number; wal: string }>(
        `SELECT query, toplevel, calls, total_plan_time AS plan, total_exec_time AS ms, wal_bytes AS wal FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND userid = (SELECT oid FROM pg_roles WHERE rolname = '${new URL(database.url).username}')`,
      );
      const perMessage = (value: number) => round((value / messages) * 1000) / 1000;
      const bytesPerMessage = (bytes: string) => Math.round(Number(bytes) / messages);
      const sum = (filter: (row: (typeof rows)[number]) => boolean) => rows.filter(filter).reduce((total, row) => total + Number(row.calls), 0);
      return {
        perMessage: perMessage(sum((row) => row.toplevel)),
        withNestedPerMessage: perMessage(sum(() => true)),
        // Less this bench's own: the sampling, and two to count.
        transactionsPerMessage: perMessage((await transactions()) - transactionsAtReset - issued - 2),
        walBytesPerMessage: bytesPerMessage((await query<{ wal: string }>('SELECT wal_bytes AS wal FROM pg_stat_wal'))[0]!.wal),
        top: rows
          .sort((a, b) => b.ms + b.plan - a.ms - a.plan)
          .slice(0, 15)
          .map((row) => ({ query: row.query.replace(/\s+/g, ' ').slice(0, 160), toplevel: row.toplevel, calls_per_message: perMessage(Number(row.calls)), plan_ms_per_message: perMessage(row.plan), ms_per_message: perMessage(row.ms), wal_bytes_per_message: bytesPerMessage(row.wal) })),
        waits: Object.fromEntries(Object.entries(waits).sort((a, b) => b[1] - a[1]).map(([wait, n]) => [wait, round(n / Math.max(1, samples))])),
      };
    },
    stop: async () => {
      clearInterval(sampler ?? undefined);
      await sampling?.end();
      await database.stop();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Load

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

interface Counters {
  toServer: number;
  fromServer: number;
}

async function connectAll(urls: string[], count: number, frames: Counters): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const connectOne = (index: number) =>
    new Promise<Socket>((done, reject) => {
      // As the widget connects: it always sends the browser's language.
      const socket = io(`${urls[index % urls.length]}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 30_000, auth: { language: 'en' } });
      socket.io.on('open', () => {
        socket.io.engine.on('packetCreate', (packet: { type: string }) => void (packet.type === 'message' && (frames.toServer += 1)));
        socket.io.engine.on('packet', (packet: { type: string }) => void (packet.type === 'message' && (frames.fromServer += 1)));
      });
      socket.once('session', () => done(socket));
      socket.once('connect_error', (error) => {
        socket.close();
        reject(new Error(`connection ${index} refused: ${error.message}`));
      });
    });
  // A few dozen handshakes at a time: each one touches the database.
  const parallel = 50;
  for (let start = 0; start < count; start += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, count - start) }, (_, i) => connectOne(start + i)));
    sockets.push(...batch);
  }
  return sockets;
}

interface Pending {
  sentAt: number;
  measured: boolean;
  ackedAt?: number;
  messageId?: string;
  connection: number;
}

interface LoadTarget {
  urls: string[];
  durationS: number;
  /** CPU seconds the servers used so far; null: not ours to see (--url). */
  serverCpu: () => Cpu | null;
  /** Whether the servers have /metrics to read their memory from (the echo server has not). */
  metrics: boolean;
  database: OwnDatabase | null;
}

async function runLoad(target: string, { urls, durationS, serverCpu, metrics, database }: LoadTarget): Promise<Result> {
  const frames: Counters = { toServer: 0, fromServer: 0 };
  console.error(`[${target}] connecting ${options.connections} visitors to ${urls.join(', ')}`);
  const sockets = await connectAll(urls, options.connections, frames);
  console.error(`[${target}] connected; ${options.warmupS} s warm-up, then ${durationS} s at ${options.rate} msg/s`);

  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  const errorCodes: Record<string, number> = {};
  const awaitingReply = new Map<string, Pending>();
  const earlyReplies = new Map<string, number>();
  let started = 0;
  // Latencies by the interval their message was sent in.
  const byInterval: number[][] = [];
  const sentByInterval: number[] = [];
  let sent = 0;
  // Warm-up included: frames are counted from the first message to the last reply.
  let sentInAll = 0;
  let acked = 0;
  let replied = 0;
  let errors = 0;
  let disconnects = 0;
  const countError = (code: string) => {
    errors += 1;
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
  };
  const intervalOf = (sentAt: number) => Math.floor((sentAt - started) / 1000 / options.intervalS);
  const traced: string[] = [];
  const recordReply = (pending: Pending, at: number) => {
    replied += 1;
    latencies.push(at - pending.sentAt);
    if (args.trace && pending.measured) {
      traced.push(JSON.stringify({ sentAt: round(performance.timeOrigin + pending.sentAt), ackMs: round((pending.ackedAt ?? at) - pending.sentAt), replyMs: round(at - pending.sentAt), connection: pending.connection }));
    }
    (byInterval[intervalOf(pending.sentAt)] ??= []).push(at - pending.sentAt);
  };

  for (const socket of sockets) {
    socket.on('reply', (reply: { replyTo?: string }) => {
      const at = performance.now();
      if (!reply.replyTo) return;
      const pending = awaitingReply.get(reply.replyTo);
      if (!pending) {
        earlyReplies.set(reply.replyTo, at);
        return;
      }
      awaitingReply.delete(reply.replyTo);
      if (pending.measured) recordReply(pending, at);
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') disconnects += 1;
    });
  }

  let next = 0;
  let serial = 0;
  const send = (measured: boolean) => {
    const socket = sockets[next]!;
    const pending: Pending = { sentAt: performance.now(), measured, connection: next };
    next = (next + 1) % sockets.length;
    sentInAll += 1;
    if (measured) {
      sent += 1;
      const interval = intervalOf(pending.sentAt);
      sentByInterval[interval] = (sentByInterval[interval] ?? 0) + 1;
    }
    const text = TEXTS[serial % TEXTS.length]!;
    serial += 1;
    socket.timeout(30_000).emit('message', { clientId: `b-${serial}`, text }, (error: Error | null, ack?: { ok: boolean; messageId?: string; error?: { code: string } }) => {
      if (error || !ack) return measured && countError('ACK_TIMEOUT');
      if (!ack.ok) return measured && countError(ack.error?.code ?? 'UNKNOWN');
      const at = performance.now();
      pending.ackedAt = at;
      pending.messageId = ack.messageId!;
      if (measured) {
        acked += 1;
        ackLatencies.push(at - pending.sentAt);
      }
      const early = earlyReplies.get(ack.messageId!);
      if (early !== undefined) {
        earlyReplies.delete(ack.messageId!);
        if (measured) recordReply(pending, early);
      } else {
        awaitingReply.set(ack.messageId!, pending);
      }
    });
  };

  // Open-loop schedule: the number of messages due so far is sent on every tick, whatever the
  // latency of earlier ones (a closed loop would hide queueing delay).
  const runPhase = (seconds: number, measured: boolean, onSecond?: (second: number) => void) =>
    new Promise<void>((done) => {
      const phaseStarted = performance.now();
      let count = 0;
      let second = 0;
      const total = Math.round(seconds * options.rate);
      const tick = setInterval(() => {
        const elapsed = (performance.now() - phaseStarted) / 1000;
        const due = Math.min(total, Math.floor(elapsed * options.rate));
        while (count < due) {
          send(measured);
          count += 1;
        }
        if (Math.floor(elapsed) > second) onSecond?.((second = Math.floor(elapsed)));
        if (count >= total) {
          clearInterval(tick);
          done();
        }
      }, 2);
    });

  const memory = () => Promise.all(urls.map((url) => (metrics ? serverMemory(url) : { rssMb: null, heapUsedMb: null })));
  const framesStart = { ...frames };
  if (options.warmupS > 0) await runPhase(options.warmupS, false);
  await database?.reset();
  const memoryStart = await memory();
  const load1mStart = load1m();
  const cpuServerStart = serverCpu();
  const cpuLoadStart = process.cpuUsage();
  started = performance.now();
  // Memory at each interval's end; an interval's latencies are complete once its replies are in, at the end.
  const memoryAt: Memory[][] = [];
  const loadAt: number[] = [];
  await runPhase(durationS, true, (second) => {
    if (second % options.intervalS !== 0) return;
    const interval = second / options.intervalS - 1;
    loadAt[interval] = load1m();
    void memory().then((sample) => {
      memoryAt[interval] = sample;
      const done = (byInterval[interval] ?? []).slice().sort((a, b) => a - b);
      console.error(`[${target}] ${second} s: ${sentByInterval[interval] ?? 0} sent in the last interval, p99 so far ${round(percentile(done, 99))} ms, RSS ${sample.map((m) => m.rssMb).join(' / ')} MB, load ${loadAt[interval]}`);
    });
  });
  const loadEnded = performance.now();
  const cpuServerEnd = serverCpu();
  const cpuLoad = process.cpuUsage(cpuLoadStart);
  const memoryEnd = await memory();
  // Let outstanding acks and replies arrive.
  const drainUntil = performance.now() + options.drainS * 1000;
  while (performance.now() < drainUntil && (acked + errors < sent || [...awaitingReply.values()].some((p) => p.measured))) {
    await new Promise((done) => setTimeout(done, 50));
  }
  const framesEnd = { ...frames };
  const statements = (await database?.count(sent)) ?? null;

  const lost = [...awaitingReply.values()].filter((pending) => pending.measured).length + Math.max(0, sent - acked - errors);
  for (const socket of sockets) socket.close();
  if (disconnects > 0) errorCodes.DISCONNECT = disconnects;
  if (args.trace && target === 'frontdesk') writeFileSync(args.trace, traced.map((line) => `${line}\n`).join(''));
  latencies.sort((a, b) => a - b);
  ackLatencies.sort((a, b) => a - b);
  const elapsedS = (loadEnded - started) / 1000;
  const intervals = Array.from({ length: Math.floor(durationS / options.intervalS) }, (_, index): Interval => {
    const sorted = (byInterval[index] ?? []).sort((a, b) => a - b);
    const sample = memoryAt[index] ?? [];
    return {
      target,
      interval: index + 1,
      from_s: index * options.intervalS,
      sent: sentByInterval[index] ?? 0,
      replied: sorted.length,
      p50_ms: round(percentile(sorted, 50)),
      p99_ms: round(percentile(sorted, 99)),
      rss_mb: sample.map((m) => m.rssMb),
      heap_used_mb: sample.map((m) => m.heapUsedMb),
      load_1m: loadAt[index] ?? load1m(),
    };
  });
  const perMessage = (count: number) => (sentInAll === 0 ? 0 : round(count / sentInAll));
  return {
    target,
    connections: sockets.length,
    sent,
    acked,
    replied,
    errors,
    lost,
    errorCodes,
    // Replies received per second of load (replies that arrived in the drain count: they were sent under load).
    throughput: round(replied / elapsedS),
    p50: round(percentile(latencies, 50)),
    p95: round(percentile(latencies, 95)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? 0),
    ackP99: round(percentile(ackLatencies, 99)),
    serverCpuPercent: cpuServerStart && cpuServerEnd ? round(((cpuServerEnd.total - cpuServerStart.total) / elapsedS) * 100) : null,
    databaseCpuPercent: cpuServerStart && cpuServerEnd ? round(((cpuServerEnd.database - cpuServerStart.database) / elapsedS) * 100) : null,
    loadCpuPercent: round(((cpuLoad.user + cpuLoad.system) / 1e6 / elapsedS) * 100),
    framesToServer: perMessage(framesEnd.toServer - framesStart.toServer),
    framesFromServer: perMessage(framesEnd.fromServer - framesStart.fromServer),
    intervals,
    memoryStart,
    memoryEnd,
    load1m: load1mStart,
    statements,
  };
}

function describe(result: Result): string {
  return [
    `[${result.target}] ${result.connections} connections, ${result.sent} sent, ${result.acked} acked, ${result.replied} replied`,
    `  throughput ${result.throughput} msg/s; latency p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms, max ${result.max} ms (ack p99 ${result.ackP99} ms)`,
    `  errors ${result.errors} ${JSON.stringify(result.errorCodes)}, lost ${result.lost}; CPU: server ${result.serverCpuPercent ?? '?'}% (Postgres ${result.databaseCpuPercent ?? '?'}%), load generator ${result.loadCpuPercent}%; load average ${result.load1m}`,
    `  frames per message: ${result.framesToServer} to the server, ${result.framesFromServer} back`,
    ...(result.statements
      ? [
          `  statements per message: ${result.statements.perMessage} sent, ${result.statements.withNestedPerMessage} with nested ones; transactions per message: ${result.statements.transactionsPerMessage}; WAL per message: ${result.statements.walBytesPerMessage} bytes`,
          `  active connections by what they wait for (mean): ${JSON.stringify(result.statements.waits)}`,
          ...result.statements.top.map((row) => `    ${row.calls_per_message} calls, ${row.plan_ms_per_message} ms planning, ${row.ms_per_message} ms running, ${row.wal_bytes_per_message} bytes of WAL: ${row.toplevel ? '' : '(nested) '}${row.query}`),
        ]
      : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const children: Child[] = [];
  let database: OwnDatabase | null = null;
  const dataDir = mkdtempSync(join(tmpdir(), 'frontdesk-bench-'));
  chmodSync(dataDir, 0o711);
  const cleanup = async () => {
    await Promise.allSettled(children.map((child) => child.stop()));
    await database?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    let frontdesk: Result;
    if (args.url) {
      const urls = args.url.split(',').map((url) => url.trim().replace(/\/$/, ''));
      frontdesk = await runLoad('frontdesk', { urls, durationS: options.durationS, serverCpu: () => null, metrics: true, database: null });
    } else {
      const nodeFlags = [...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args.profile)}`] : []), ...(args['node-flags']?.split(' ').filter(Boolean) ?? [])];
      // Several processes need one Postgres of their own (the embedded one is one process's); so does counting.
      if ((options.processes > 1 || args.statements) && !process.env.DATABASE_URL) {
        database = await ownDatabase(join(dataDir, 'database'), args.statements);
      }
      const shared = database
        ? { DATABASE_URL: database.url, SCALE_OUT: process.env.SCALE_OUT ?? (options.processes > 1 ? 'postgres' : 'off'), REFERENCE_SHOP: process.env.REFERENCE_SHOP ?? 'on' }
        : {};
      // One at a time: the first trains the starter model, the others find it active.
      for (let index = 0; index < options.processes; index += 1) {
        children.push(await startChild(
          [...nodeFlags, 'bin/frontdesk.js', 'serve'],
          {
            ...shared,
            DATA_DIR: options.processes === 1 && process.env.DATA_DIR ? process.env.DATA_DIR : join(dataDir, `data-${index + 1}`),
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
            // The bench is one address sending for a thousand visitors: limits raised, not removed.
            MESSAGES_PER_SECOND: process.env.MESSAGES_PER_SECOND ?? '1000',
            MESSAGE_BURST: process.env.MESSAGE_BURST ?? '2000',
          },
          '/readyz',
          `frontdesk ${index + 1}`,
        ));
      }
      frontdesk = await runLoad('frontdesk', { urls: children.map((child) => child.url), durationS: options.durationS, serverCpu: childrenCpu, metrics: true, database });
      await Promise.all(children.map((child) => child.stop()));
      if (args['server-log']) writeFileSync(args['server-log'], children.map((child) => child.output()).join('\n'));
      await database?.stop();
      database = null;
    }
    console.log(describe(frontdesk));

    let echo: Result | null = null;
    if (!args['no-echo']) {
      const server = await startChild(['--import', 'tsx', 'bench/echo-server.ts'], {}, '/socket.io/?EIO=4&transport=polling', 'echo server');
      children.push(server);
      echo = await runLoad('echo', { urls: [server.url], durationS: args['echo-duration'] ? positive(args['echo-duration'], 'echo-duration') : options.durationS, serverCpu: childrenCpu, metrics: false, database: null });
      await server.stop();
      console.log(describe(echo));
    }

    for (const interval of [...frontdesk.intervals, ...(echo?.intervals ?? [])]) console.log(JSON.stringify(interval));
    const memoryMb = (samples: Memory[], key: keyof Memory) => samples.map((sample) => sample[key]);
    const summary = {
      connections: frontdesk.connections,
      processes: args.url ? args.url.split(',').length : options.processes,
      rate_msgs_per_s: options.rate,
      duration_s: options.durationS,
      throughput_msgs_per_s: frontdesk.throughput,
      p50_ms: frontdesk.p50,
      p95_ms: frontdesk.p95,
      p99_ms: frontdesk.p99,
      max_ms: frontdesk.max,
      ack_p99_ms: frontdesk.ackP99,
      sent: frontdesk.sent,
      errors: frontdesk.errors,
      lost: frontdesk.lost,
      server_cpu_percent: frontdesk.serverCpuPercent,
      database_cpu_percent: frontdesk.databaseCpuPercent,
      load_cpu_percent: frontdesk.loadCpuPercent,
      load_1m: frontdesk.load1m,
      frames_to_server_per_message: frontdesk.framesToServer,
      frames_from_server_per_message: frontdesk.framesFromServer,
      statements_per_message: frontdesk.statements?.perMessage ?? null,
      statements_with_nested_per_message: frontdesk.statements?.withNestedPerMessage ?? null,
      transactions_per_message: frontdesk.statements?.transactionsPerMessage ?? null,
      wal_bytes_per_message: frontdesk.statements?.walBytesPerMessage ?? null,
      first_interval_p99_ms: frontdesk.intervals[0]?.p99_ms ?? null,
      last_interval_p99_ms: frontdesk.intervals.at(-1)?.p99_ms ?? null,
      rss_mb_start: memoryMb(frontdesk.memoryStart, 'rssMb'),
      rss_mb_end: memoryMb(frontdesk.memoryEnd, 'rssMb'),
      heap_used_mb_start: memoryMb(frontdesk.memoryStart, 'heapUsedMb'),
      heap_used_mb_end: memoryMb(frontdesk.memoryEnd, 'heapUsedMb'),
      echo_throughput_msgs_per_s: echo?.throughput ?? null,
      echo_p50_ms: echo?.p50 ?? null,
      echo_p99_ms: echo?.p99 ?? null,
      echo_errors: echo?.errors ?? null,
      echo_lost: echo?.lost ?? null,
      echo_load_1m: echo?.load1m ?? null,
      p99_ratio_to_echo: echo && echo.p99 > 0 ? round(frontdesk.p99 / echo.p99) : null,
    };
    console.log(JSON.stringify(summary));
  } finally {
    await cleanup();
  }
}

await main();
