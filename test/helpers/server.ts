import pg from 'pg';
import { io as connect, type Socket } from 'socket.io-client';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { startServer, type RunningServer } from '../../src/server.ts';
import { runningEmbeddedUrl } from '../../src/store/database.ts';

export { temporaryDirectory } from './temp.ts';

/** The embedded Postgres of a test server, as the application's role. */
export const embeddedDatabaseUrl = runningEmbeddedUrl;

/** One query against a test server's embedded Postgres, on a connection of its own. */
export async function queryEmbedded<T extends pg.QueryResultRow = any>(dataDir: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: embeddedDatabaseUrl(dataDir) });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A real server (embedded Postgres, trained model) on a loopback port chosen by the OS. */
export async function startTestServer(env: Record<string, string> = {}): Promise<{ server: RunningServer; config: Config }> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', SHUTDOWN_GRACE_MS: '2000', ...env });
  const server = await startServer(config, createLogger(config.logLevel));
  return { server, config };
}

export interface VisitorConnection {
  socket: Socket;
  session: { visitorToken: string; conversationId: string; previousConversationId?: string };
}

export function connectVisitor(url: string, auth: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<VisitorConnection> {
  const socket = connect(`${url}/chat`, { auth, transports: ['websocket'], reconnection: false, forceNew: true, ...extra });
  return new Promise((resolve, reject) => {
    socket.once('session', (session) => resolve({ socket, session }));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export function request<T = any>(socket: Socket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(10_000).emitWithAck(event, ...args) as Promise<T>;
}

export function nextEvent<T = any>(socket: Socket, event: string, predicate: (payload: T) => boolean = () => true, timeoutMs = 10_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, listener);
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (payload: T) => {
      if (!predicate(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

/** Sends a visitor message and waits for both the ack and the bot's reply to it. */
export async function ask(socket: Socket, text: string, clientId = `c-${Math.random().toString(36).slice(2)}`) {
  const replies: any[] = [];
  const collect = (reply: any) => replies.push(reply);
  socket.on('reply', collect);
  try {
    const ack = await request(socket, 'message', { clientId, text });
    if (!ack.ok) throw new Error(`message refused: ${JSON.stringify(ack.error)}`);
    const early = replies.find((reply) => reply.replyTo === ack.messageId);
    const reply = early ?? (await nextEvent(socket, 'reply', (candidate: any) => candidate.replyTo === ack.messageId));
    return { ack, reply };
  } finally {
    socket.off('reply', collect);
  }
}
