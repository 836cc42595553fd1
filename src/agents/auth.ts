import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hash, verify } from '@node-rs/argon2';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AgentStore, normalizeEmail, type Agent, type AgentRole, type AgentSession } from '../store/agent-store.ts';
import type { AuditActor, AuditStore } from '../store/audit-store.ts';
import { ProtocolError } from '../protocol/errors.ts';

/** Who is calling: resolved from a bearer token on every request and socket handshake. */
export interface AgentPrincipal {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  sessionId: string;
  expiresAt: Date;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  agent: PublicAgent;
}

export interface PublicAgent {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  disabled: boolean;
  createdAt: string;
}

export interface AgentChanges {
  name?: string | undefined;
  role?: AgentRole | undefined;
  disabled?: boolean | undefined;
  password?: string | undefined;
}

export interface AgentAuthEvents {
  /** One session ended (logout): its open connections must close. */
  sessionEnded: [sessionId: string];
  /**
   * An agent's password, role or account state changed: every open connection of theirs must
   * close. A session that is still valid may connect again and gets the new rights.
   */
  rightsChanged: [agentId: string];
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;
export const DEFAULT_SESSION_TTL_MS = 12 * 3600_000;
const TOKEN_PREFIX = 'fda1_';
const TOKEN_SHAPE = /^fda1_[A-Za-z0-9_-]{43}$/;

/** argon2id with the library's defaults (19 MiB, 2 passes: OWASP's recommended minimum). */
export async function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  return hash(password);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ProtocolError('WEAK_PASSWORD', `A password needs at least ${MIN_PASSWORD_LENGTH} characters.`);
  if (password.length > MAX_PASSWORD_LENGTH) throw new ProtocolError('INVALID_PAYLOAD', `A password has at most ${MAX_PASSWORD_LENGTH} characters.`);
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** An agent or admin as the audit log names them: by id and sign-in e-mail. */
export function agentActor(agent: Pick<Agent, 'id' | 'email'>): AuditActor {
  return { kind: 'agent', id: agent.id, name: agent.email };
}

export function toPublicAgent(agent: Agent): PublicAgent {
  return { id: agent.id, email: agent.email, name: agent.name, role: agent.role, disabled: agent.disabledAt !== null, createdAt: agent.createdAt.toISOString() };
}

/**
 * Sign-in for agents. A login yields an opaque bearer token (`fda1_` + 256 random bits); the
 * database keeps only its SHA-256, with an expiry, so a token can be revoked (logout, a disabled
 * account) and a database leak yields no usable token. Wrong email and wrong password look the
 * same from outside, in answer and in time, and repeated failures are rate-limited.
 *
 * The rules that decide who may act live here once: `authenticate` for a new request or
 * connection, `current` for a connection that stays open; both read the session and the account
 * afresh. Changes that take rights away are announced (`sessionEnded`, `rightsChanged`) so that
 * open connections close.
 */
export class AgentAuth extends EventEmitter<AgentAuthEvents> {
  // Only failures count. Per account and address: a stranger's wrong guesses never lock the owner
  // out from another address. Per address: one address cannot guess its way through many accounts.
  private readonly failuresPerAccount = new RateLimiterMemory({ points: 10, duration: 15 * 60 });
  private readonly failuresPerAddress = new RateLimiterMemory({ points: 100, duration: 15 * 60 });
  private dummyHash: Promise<string> | null = null;

  constructor(
    private readonly store: AgentStore,
    /** `audit`: sign-ins and sign-outs are recorded there. */
    private readonly options: { sessionTtlMs?: number; now?: () => Date; audit?: AuditStore } = {},
  ) {
    super();
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async createAgent(input: { email: string; name: string; password: string; role?: AgentRole }): Promise<PublicAgent> {
    const email = normalizeEmail(input.email);
    if (!/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 254) throw new ProtocolError('INVALID_PAYLOAD', 'The email address is not valid.');
    if (input.name.trim().length === 0 || input.name.length > 120) throw new ProtocolError('INVALID_PAYLOAD', 'A name has 1 to 120 characters.');
    const agent = await this.store.createAgent({ email, name: input.name, role: input.role ?? 'agent', passwordHash: await hashPassword(input.password) });
    return toPublicAgent(agent);
  }

  /**
   * Changes an account (who may: src/agents/admin.ts). A new password or a disabled account ends all
   * its sessions; any change of password, role or account state closes its open connections.
   */
  async changeAgent(agentId: string, changes: AgentChanges): Promise<PublicAgent> {
    const updated = await this.store.updateAgent(agentId, {
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.disabled !== undefined ? { disabled: changes.disabled } : {}),
      ...(changes.password !== undefined ? { passwordHash: await hashPassword(changes.password) } : {}),
    });
    if (!updated) throw new ProtocolError('NOT_FOUND', 'No such agent.');
    if (changes.password !== undefined || changes.disabled === true) await this.store.revokeAgentSessions(agentId);
    if (changes.password !== undefined || changes.disabled === true || changes.role !== undefined) this.emit('rightsChanged', agentId);
    return toPublicAgent(updated);
  }

  async login(input: { email: string; password: string; address?: string; userAgent?: string | null }): Promise<LoginResult> {
    const email = normalizeEmail(input.email);
    const address = input.address ?? 'unknown';
    const account = `${address} ${email}`;
    // Every attempt takes its points before the password is checked, so that parallel guesses
    // count too; anything but a wrong guess gives them back.
    await this.admit(account, address);
    let verified: { agent: Agent | null; accountId: string | null };
    try {
      verified = await this.verifiedAgent(email, input.password);
    } catch (error) {
      await this.giveBack(account, address);
      throw error;
    }
    const { agent } = verified;
    if (!agent) {
      // The account tried (when it exists) and from where; never the e-mail or password typed.
      await this.options.audit?.record({
        actor: { kind: 'system', name: 'sign-in' },
        action: 'agent.sign_in_failed',
        target: verified.accountId ? { kind: 'agent', id: verified.accountId } : null,
        details: { address: input.address ?? null },
      });
      throw new ProtocolError('INVALID_CREDENTIALS', 'Wrong email or password.');
    }
    await this.giveBack(account, address);
    await this.failuresPerAccount.delete(account).catch(() => {});
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const expiresAt = new Date(this.now().getTime() + (this.options.sessionTtlMs ?? DEFAULT_SESSION_TTL_MS));
    const session = await this.store.createSession({ agentId: agent.id, tokenHash: tokenHash(token), expiresAt, userAgent: input.userAgent ?? null });
    await this.options.audit?.record({ actor: agentActor(agent), action: 'agent.sign_in', target: { kind: 'session', id: session.id }, details: { address: input.address ?? null } });
    return { token, expiresAt, agent: toPublicAgent(agent) };
  }

  /** The agent behind a bearer token, or null for a missing, malformed, unknown, expired or revoked one. */
  async authenticate(token: string | undefined | null): Promise<AgentPrincipal | null> {
    if (typeof token !== 'string' || !TOKEN_SHAPE.test(token)) return null;
    return this.principalOf(await this.store.sessionByTokenHash(tokenHash(token)));
  }

  /**
   * The rights of someone authenticated earlier on a connection that stays open, as they are now:
   * null once the session was revoked or expired or the account disabled, the current role otherwise.
   */
  async current(principal: AgentPrincipal): Promise<AgentPrincipal | null> {
    return this.principalOf(await this.store.sessionById(principal.sessionId));
  }

  private principalOf(session: (AgentSession & { agent: Agent }) | null): AgentPrincipal | null {
    if (!session || session.revokedAt !== null || session.agent.disabledAt !== null) return null;
    const now = this.now();
    if (session.expiresAt.getTime() <= now.getTime()) return null;
    // Last-seen is kept coarse (5 minutes) so that reading it costs no write per request.
    if (now.getTime() - session.lastSeenAt.getTime() > 5 * 60_000) void this.store.touchSession(session.id).catch(() => {});
    const { agent } = session;
    return { id: agent.id, email: agent.email, name: agent.name, role: agent.role, sessionId: session.id, expiresAt: session.expiresAt };
  }

  async logout(principal: AgentPrincipal): Promise<void> {
    await this.store.revokeSession(principal.sessionId);
    this.emit('sessionEnded', principal.sessionId);
    await this.options.audit?.record({ actor: agentActor(principal), action: 'agent.sign_out', target: { kind: 'session', id: principal.sessionId } });
  }

  /** The enabled account with this email and password, or null. */
  private async verifiedAgent(email: string, password: string): Promise<{ agent: Agent | null; accountId: string | null }> {
    const agent = await this.store.agentByEmail(email);
    // Verify against a dummy hash for unknown accounts so the timing does not reveal which emails exist.
    const valid = await verifyPassword(agent?.passwordHash ?? (await this.dummy()), password);
    return { agent: agent && valid && agent.disabledAt === null ? agent : null, accountId: agent?.id ?? null };
  }

  private async giveBack(account: string, address: string): Promise<void> {
    await Promise.all([this.failuresPerAccount.reward(account, 1), this.failuresPerAddress.reward(address, 1)]).catch(() => {});
  }

  private async admit(account: string, address: string): Promise<void> {
    try {
      await this.failuresPerAddress.consume(address);
      await this.failuresPerAccount.consume(account);
    } catch (error) {
      if (error instanceof Error) throw error;
      throw new ProtocolError('RATE_LIMITED', 'Too many sign-in attempts; wait a few minutes.');
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hash(randomBytes(16).toString('hex'));
    return this.dummyHash;
  }
}
