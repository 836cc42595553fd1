import { io as connect, type Socket } from 'socket.io-client';
import { createPrismaClient, type PrismaClient } from '../../src/store/prisma.ts';
import { AgentAuth } from '../../src/agents/auth.ts';
import { AgentStore } from '../../src/store/agent-store.ts';
import type { RunningServer } from '../../src/server.ts';
import { embeddedDatabaseUrl, startTestServer, temporaryDirectory } from '../helpers/server.ts';

export function testPrisma(dataDir: string): PrismaClient {
  return createPrismaClient(embeddedDatabaseUrl(dataDir), 2);
}

export async function createAgent(prisma: PrismaClient, input: { email: string; name: string; password: string; role?: 'agent' | 'admin' }) {
  return new AgentAuth(new AgentStore(prisma)).createAgent(input);
}

export async function api<T = any>(url: string, path: string, init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers,
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

export async function login(url: string, email: string, password: string): Promise<string> {
  const { status, body } = await api(url, '/api/agent/login', { body: { email, password } });
  if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

/** An `/agent` socket; resolves on the server's `hello`, rejects with the connect_error. */
export function connectAgent(url: string, auth: Record<string, unknown>): Promise<{ socket: Socket; hello: any }> {
  const socket = connect(`${url}/agent`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((resolve, reject) => {
    socket.once('hello', (hello) => resolve({ socket, hello }));
    socket.once('connect_error', (error) => {
      socket.close();
      reject(error);
    });
  });
}

export interface AgentTestServer {
  server: RunningServer;
  url: string;
  prisma: PrismaClient;
  dataDir: string;
  /** A session token per agent, in the order given. */
  tokens: string[];
  /** Sockets to close at the end. */
  sockets: Socket[];
  /** Closes the connection's socket at the end; returns the connection. */
  track<T extends { socket: Socket }>(connection: T): T;
  close(): Promise<void>;
}

/** A server on a fresh embedded Postgres (visitor rate limit raised, `env` added), with these agents signed in. */
export async function startAgentTestServer(agents: Array<{ email: string; name: string; password: string; role?: 'agent' | 'admin' }>, env: Record<string, string> = {}): Promise<AgentTestServer> {
  const dataDir = temporaryDirectory();
  const { server } = await startTestServer({ DATA_DIR: dataDir.path, MESSAGE_BURST: '50', MESSAGES_PER_SECOND: '20', ...env });
  const prisma = testPrisma(dataDir.path);
  const tokens: string[] = [];
  for (const agent of agents) {
    await createAgent(prisma, agent);
    tokens.push(await login(server.url, agent.email, agent.password));
  }
  const sockets: Socket[] = [];
  return {
    server, url: server.url, prisma, dataDir: dataDir.path, tokens, sockets,
    track(connection) {
      sockets.push(connection.socket);
      return connection;
    },
    async close() {
      for (const socket of sockets) socket.close();
      await prisma.$disconnect();
      await server.close();
      dataDir.remove();
    },
  };
}
