import type { LabelledExample } from '../nlu/types.ts';
import type { AgentRole, AgentStore } from '../store/agent-store.ts';
import type { AuditEventView, AuditFilter, AuditStore } from '../store/audit-store.ts';
import type { DataExport, DataRights, Erasure, VisitorFinder, VisitorMatch } from '../privacy/data-rights.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { agentActor, toPublicAgent, type AgentAuth, type AgentChanges, type AgentPrincipal, type PublicAgent } from './auth.ts';
import type { AgentWorkspace } from './workspace.ts';

/**
 * What an admin may do: manage agent accounts, read the next training run's examples in bulk (they
 * include visitors' texts), find, export and erase a visitor's data, and read the audit log.
 */
export interface AdminActions {
  listAgents(): Promise<PublicAgent[]>;
  createAgent(input: { email: string; name: string; password: string; role?: AgentRole | undefined }): Promise<PublicAgent>;
  changeAgent(agentId: string, changes: AgentChanges): Promise<PublicAgent>;
  trainingExamples(): Promise<LabelledExample[]>;
  findVisitors(finder: VisitorFinder): Promise<VisitorMatch[]>;
  exportVisitors(finder: VisitorFinder): Promise<DataExport>;
  eraseVisitors(finder: VisitorFinder): Promise<Erasure>;
  auditLog(filter: AuditFilter): Promise<{ events: AuditEventView[]; nextCursor: string | null }>;
}

/** Who may administer, and what: the rules live here, the credentials' mechanics in AgentAuth. */
export class AgentAdmin {
  constructor(private readonly parts: { auth: AgentAuth; accounts: AgentStore; workspace: AgentWorkspace; audit: AuditStore; rights: DataRights }) {}

  /** The admin actions of `actor`; anyone but an admin is refused (FORBIDDEN) before their request is read. */
  actingAs(actor: AgentPrincipal): AdminActions {
    if (actor.role !== 'admin') throw new ProtocolError('FORBIDDEN', 'Only admins can do this.');
    const { auth, accounts, workspace, audit, rights } = this.parts;
    const by = agentActor(actor);
    return {
      listAgents: async () => (await accounts.listAgents()).map(toPublicAgent),
      createAgent: async ({ role, ...input }) => {
        const agent = await auth.createAgent({ ...input, ...(role ? { role } : {}) });
        await audit.record({ actor: by, action: 'agent.create', target: { kind: 'agent', id: agent.id }, details: { role: agent.role } });
        return agent;
      },
      changeAgent: async (agentId, changes) => {
        // So that an installation never loses its last admin by accident.
        if (agentId === actor.id && (changes.disabled === true || changes.role === 'agent')) {
          throw new ProtocolError('FORBIDDEN', 'An admin cannot disable or demote their own account.');
        }
        const agent = await auth.changeAgent(agentId, changes);
        // What changed, never the new password.
        const changed = { name: changes.name !== undefined, role: changes.role ?? null, disabled: changes.disabled ?? null, password: changes.password !== undefined };
        await audit.record({ actor: by, action: 'agent.update', target: { kind: 'agent', id: agentId }, details: changed });
        return agent;
      },
      trainingExamples: async () => {
        const examples = await workspace.labelledExamples();
        await audit.record({ actor: by, action: 'training_examples.read', details: { examples: examples.length } });
        return examples;
      },
      findVisitors: (finder) => rights.find(finder),
      exportVisitors: (finder) => rights.export(finder, by),
      eraseVisitors: async (finder) => {
        const erased = await rights.erase(finder, by);
        // Agents' queues and open transcripts catch up: the conversations are resolved and empty now.
        for (const conversationId of erased.conversationIds) workspace.emit('changed', conversationId);
        return erased;
      },
      auditLog: (filter) => audit.list(filter),
    };
  }
}
