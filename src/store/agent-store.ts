import { randomUUID } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded, isUniqueViolation } from './errors.ts';
import type { Agent, AgentSession } from '../generated/prisma/client.ts';
import type { AgentRole } from '../generated/prisma/enums.ts';

export type { Agent, AgentSession, AgentRole };

export class AgentExistsError extends Error {
  readonly code = 'AGENT_EXISTS';
  constructor(email: string) {
    super(`An agent with the email ${email} exists already.`);
  }
}

/** Emails are compared without case and surrounding space: "Ann@Example.com " is ann@example.com. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Postgres-backed agent accounts and their sign-in sessions. */
export class AgentStore {
  constructor(private readonly prisma: PrismaClient) {}

  async createAgent(input: { email: string; name: string; role: AgentRole; passwordHash: string }): Promise<Agent> {
    const email = normalizeEmail(input.email);
    try {
      return await guarded(() =>
        this.prisma.agent.create({ data: { id: randomUUID(), email, name: input.name.trim(), role: input.role, passwordHash: input.passwordHash } }),
      );
    } catch (error) {
      if (isUniqueViolation(error)) throw new AgentExistsError(email);
      throw error;
    }
  }

  async agentByEmail(email: string): Promise<Agent | null> {
    return guarded(() => this.prisma.agent.findUnique({ where: { email: normalizeEmail(email) } }));
  }

  async agent(id: string): Promise<Agent | null> {
    return guarded(() => this.prisma.agent.findUnique({ where: { id } }));
  }

  async listAgents(): Promise<Agent[]> {
    return guarded(() => this.prisma.agent.findMany({ orderBy: [{ createdAt: 'asc' }, { email: 'asc' }] }));
  }

  async updateAgent(id: string, changes: { name?: string; role?: AgentRole; passwordHash?: string; disabled?: boolean }): Promise<Agent | null> {
    return guarded(async () => {
      const data = {
        ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
        ...(changes.role !== undefined ? { role: changes.role } : {}),
        ...(changes.passwordHash !== undefined ? { passwordHash: changes.passwordHash } : {}),
        ...(changes.disabled !== undefined ? { disabledAt: changes.disabled ? new Date() : null } : {}),
      };
      const result = await this.prisma.agent.updateMany({ where: { id }, data });
      return result.count === 0 ? null : this.prisma.agent.findUnique({ where: { id } });
    });
  }

  async createSession(input: { agentId: string; tokenHash: string; expiresAt: Date; userAgent?: string | null }): Promise<AgentSession> {
    return guarded(() =>
      this.prisma.agentSession.create({
        data: { id: randomUUID(), agentId: input.agentId, tokenHash: input.tokenHash, expiresAt: input.expiresAt, userAgent: input.userAgent?.slice(0, 256) ?? null },
      }),
    );
  }

  async sessionByTokenHash(tokenHash: string): Promise<(AgentSession & { agent: Agent }) | null> {
    return guarded(() => this.prisma.agentSession.findUnique({ where: { tokenHash }, include: { agent: true } }));
  }

  async sessionById(sessionId: string): Promise<(AgentSession & { agent: Agent }) | null> {
    return guarded(() => this.prisma.agentSession.findUnique({ where: { id: sessionId }, include: { agent: true } }));
  }

  async touchSession(sessionId: string): Promise<void> {
    await guarded(() => this.prisma.agentSession.updateMany({ where: { id: sessionId }, data: { lastSeenAt: new Date() } }));
  }

  async revokeSession(sessionId: string): Promise<void> {
    await guarded(() => this.prisma.agentSession.updateMany({ where: { id: sessionId, revokedAt: null }, data: { revokedAt: new Date() } }));
  }

  /** Signs an agent out everywhere (disabled account, changed password). Returns the revoked session ids. */
  async revokeAgentSessions(agentId: string): Promise<string[]> {
    return guarded(async () => {
      const open = await this.prisma.agentSession.findMany({ where: { agentId, revokedAt: null }, select: { id: true } });
      await this.prisma.agentSession.updateMany({ where: { agentId, revokedAt: null }, data: { revokedAt: new Date() } });
      return open.map((session) => session.id);
    });
  }

  /** Forgets sessions that ended more than a day ago. */
  async deleteStaleSessions(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - 24 * 3600_000);
    return guarded(async () => (await this.prisma.agentSession.deleteMany({ where: { OR: [{ expiresAt: { lt: cutoff } }, { revokedAt: { lt: cutoff } }] } })).count);
  }
}
