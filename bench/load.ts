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
//   --no-echo         skip the echo floor
//   --profile DIR     run the frontdesk child under `node --cpu-prof --cpu-prof-dir DIR`
//   --server-log FILE write the frontdesk child's output (LOG_LEVEL, default warn) to FILE
//   DATABASE_URL, SCALE_OUT and other variables in the environment pass through to the server.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createServer as createNetServer } from 'node:net';
import { io, type Socket } from 'socket.io-client';

const root = resolve(import.meta.dirname, '..');

const { values: args } = parseArgs({
  options: {
    connections: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '500' },
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '5' },
    drain: { type: 'string', default: '10' },
    url: { type: 'string' },
    'no-echo': { type: 'boolean', default: false },
    profile: { type: 'string' },
    'server-log': { type: 'string' },
  },
});

const options = {
  connections: positive(args.connections, 'connections'),
  rate: positive(args.rate, 'rate'),
  durationS: positive(args.duration, 'duration'),
  warmupS: Number(args.warmup),
  drainS: positive(args.drain, 'drain'),
};

function positive(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} must be a positive number`);
  return number;
}

// Clear questions of intents that answer (no handoff), so every message gets a bot reply.
const TEXTS = [
  'how do i cancel my order',
  'where is my order',
  'I want a refund',
  'what payment methods do you accept',
  'how long does delivery take',
  'I forgot my password',
  'how do I create an account',
  'can I change my shipping address',
  'where can I find my invoice',
  'what is your refund policy',
  'hello',
  'thank you',
];

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
  loadCpuPercent: number;
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

/** CPU seconds (user + system) a process has used so far, from /proc; null where there is none. */
function cpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime in clock ticks (100 Hz)
  } catch {
    return null;
  }
}

/** The frontdesk process and its embedded Postgres children together. */
function treeCpuSeconds(pid: number | undefined): number | null {
  if (!pid) return null;
  let total = cpuSeconds(pid);
  if (total === null) return null;
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    for (const child of children) total += treeCpuSeconds(child) ?? 0;
  } catch {
    // no children file: count the process alone
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Load

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const round = (value: number) => Math.round(value * 100) / 100;

async function connectAll(urls: string[], count: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  const connectOne = (index: number) =>
    new Promise<Socket>((done, reject) => {
      const socket = io(`${urls[index % urls.length]}/chat`, { transports: ['websocket'], reconnection: false, forceNew: true, timeout: 30_000 });
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
}

async function runLoad(target: string, urls: string[], serverPid: number | undefined): Promise<Result> {
  console.error(`[${target}] connecting ${options.connections} visitors to ${urls.join(', ')}`);
  const sockets = await connectAll(urls, options.connections);
  console.error(`[${target}] connected; ${options.warmupS} s warm-up, then ${options.durationS} s at ${options.rate} msg/s`);

  const latencies: number[] = [];
  const ackLatencies: number[] = [];
  const errorCodes: Record<string, number> = {};
  const awaitingReply = new Map<string, Pending>();
  const earlyReplies = new Map<string, number>();
  let sent = 0;
  let acked = 0;
  let replied = 0;
  let errors = 0;
  let disconnects = 0;
  const countError = (code: string) => {
    errors += 1;
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
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
      if (pending.measured) {
        replied += 1;
        latencies.push(at - pending.sentAt);
      }
    });
    socket.on('disconnect', (reason) => {
      if (reason !== 'io client disconnect') disconnects += 1;
    });
  }

  let next = 0;
  let serial = 0;
  const send = (measured: boolean) => {
    const socket = sockets[next]!;
    next = (next + 1) % sockets.length;
    const pending: Pending = { sentAt: performance.now(), measured };
    if (measured) sent += 1;
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
        if (measured) {
          replied += 1;
          latencies.push(early - pending.sentAt);
        }
      } else {
        awaitingReply.set(ack.messageId!, pending);
      }
    });
  };

  // Open-loop schedule: the number of messages due so far is sent on every tick, whatever the
  // latency of earlier ones (a closed loop would hide queueing delay).
  const runPhase = (seconds: number, measured: boolean) =>
    new Promise<void>((done) => {
      const started = performance.now();
      let count = 0;
      const total = Math.round(seconds * options.rate);
      const tick = setInterval(() => {
        const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * options.rate));
        while (count < due) {
          send(measured);
          count += 1;
        }
        if (count >= total) {
          clearInterval(tick);
          done();
        }
      }, 2);
    });

  if (options.warmupS > 0) await runPhase(options.warmupS, false);
  const cpuServerStart = treeCpuSeconds(serverPid);
  const cpuLoadStart = process.cpuUsage();
  const started = performance.now();
  await runPhase(options.durationS, true);
  const loadEnded = performance.now();
  const cpuServerEnd = treeCpuSeconds(serverPid);
  const cpuLoad = process.cpuUsage(cpuLoadStart);
  // Let outstanding acks and replies arrive.
  const drainUntil = performance.now() + options.drainS * 1000;
  while (performance.now() < drainUntil && (acked + errors < sent || [...awaitingReply.values()].some((p) => p.measured))) {
    await new Promise((done) => setTimeout(done, 50));
  }

  const lost = [...awaitingReply.values()].filter((pending) => pending.measured).length + Math.max(0, sent - acked - errors);
  for (const socket of sockets) socket.close();
  if (disconnects > 0) errorCodes.DISCONNECT = disconnects;
  latencies.sort((a, b) => a - b);
  ackLatencies.sort((a, b) => a - b);
  const elapsedS = (loadEnded - started) / 1000;
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
    serverCpuPercent: cpuServerStart !== null && cpuServerEnd !== null ? round(((cpuServerEnd - cpuServerStart) / elapsedS) * 100) : null,
    loadCpuPercent: round(((cpuLoad.user + cpuLoad.system) / 1e6 / elapsedS) * 100),
  };
}

function describe(result: Result): string {
  return [
    `[${result.target}] ${result.connections} connections, ${result.sent} sent, ${result.acked} acked, ${result.replied} replied`,
    `  throughput ${result.throughput} msg/s; latency p50 ${result.p50} ms, p95 ${result.p95} ms, p99 ${result.p99} ms, max ${result.max} ms (ack p99 ${result.ackP99} ms)`,
    `  errors ${result.errors} ${JSON.stringify(result.errorCodes)}, lost ${result.lost}; CPU: server ${result.serverCpuPercent ?? '?'}%, load generator ${result.loadCpuPercent}%`,
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const children: Child[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'frontdesk-bench-'));
  chmodSync(dataDir, 0o711);
  const cleanup = async () => {
    await Promise.allSettled(children.map((child) => child.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  try {
    let frontdesk: Result;
    if (args.url) {
      frontdesk = await runLoad('frontdesk', args.url.split(',').map((url) => url.trim().replace(/\/$/, '')), undefined);
    } else {
      const nodeFlags = args.profile ? ['--cpu-prof', `--cpu-prof-dir=${resolve(args.profile)}`] : [];
      const server = await startChild(
        [...nodeFlags, 'bin/frontdesk.js', 'serve'],
        {
          DATA_DIR: process.env.DATA_DIR ?? join(dataDir, 'data'),
          LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
          // The bench is one address sending for a thousand visitors: limits raised, not removed.
          MESSAGES_PER_SECOND: process.env.MESSAGES_PER_SECOND ?? '1000',
          MESSAGE_BURST: process.env.MESSAGE_BURST ?? '2000',
        },
        '/readyz',
        'frontdesk',
      );
      children.push(server);
      frontdesk = await runLoad('frontdesk', [server.url], server.process.pid);
      await server.stop();
      if (args['server-log']) writeFileSync(args['server-log'], server.output());
    }
    console.log(describe(frontdesk));

    let echo: Result | null = null;
    if (!args['no-echo']) {
      const server = await startChild(['--import', 'tsx', 'bench/echo-server.ts'], {}, '/socket.io/?EIO=4&transport=polling', 'echo server');
      children.push(server);
      echo = await runLoad('echo', [server.url], server.process.pid);
      await server.stop();
      console.log(describe(echo));
    }

    const summary = {
      connections: frontdesk.connections,
      rate_msgs_per_s: options.rate,
      duration_s: options.durationS,
      throughput_msgs_per_s: frontdesk.throughput,
      p50_ms: frontdesk.p50,
      p95_ms: frontdesk.p95,
      p99_ms: frontdesk.p99,
      max_ms: frontdesk.max,
      sent: frontdesk.sent,
      errors: frontdesk.errors,
      lost: frontdesk.lost,
      server_cpu_percent: frontdesk.serverCpuPercent,
      load_cpu_percent: frontdesk.loadCpuPercent,
      echo_throughput_msgs_per_s: echo?.throughput ?? null,
      echo_p50_ms: echo?.p50 ?? null,
      echo_p99_ms: echo?.p99 ?? null,
      echo_errors: echo?.errors ?? null,
      echo_lost: echo?.lost ?? null,
      p99_ratio_to_echo: echo && echo.p99 > 0 ? round(frontdesk.p99 / echo.p99) : null,
    };
    console.log(JSON.stringify(summary));
  } finally {
    await cleanup();
  }
}

await main();
