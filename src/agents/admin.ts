import type { LabelledExample } from '../nlu/types.ts';
import type { AgentRole, AgentStore } from '../store/agent-store.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { toPublicAgent, type AgentAuth, type AgentChanges, type AgentPrincipal, type PublicAgent } from './auth.ts';
import type { AgentWorkspace } from './workspace.ts';

/** What an admin may do: manage agent accounts, and read the next training run's examples in bulk (they include visitors' texts). */
export interface AdminActions {
  listAgents(): Promise<PublicAgent[]>;
  createAgent(input: { email: string; name: string; password: string; role?: AgentRole | undefined }): Promise<PublicAgent>;
  changeAgent(agentId: string, changes: AgentChanges): Promise<PublicAgent>;
  trainingExamples(): Promise<LabelledExample[]>;
}

/** Who may administer, and what: the rules live here, the credentials' mechanics in AgentAuth. */
export class AgentAdmin {
  constructor(private readonly parts: { auth: AgentAuth; accounts: AgentStore; workspace: AgentWorkspace }) {}

  /** The admin actions of `actor`; anyone but an admin is refused (FORBIDDEN) before their request is read. */
  actingAs(actor: AgentPrincipal): AdminActions {
    if (actor.role !== 'admin') throw new ProtocolError('FORBIDDEN', 'Only admins can do this.');
    const { auth, accounts, workspace } = this.parts;
    return {
      listAgents: async () => (await accounts.listAgents()).map(toPublicAgent),
      createAgent: ({ role, ...input }) => auth.createAgent({ ...input, ...(role ? { role } : {}) }),
      changeAgent: (agentId, changes) => {
        // So that an installation never loses its last admin by accident.
        if (agentId === actor.id && (changes.disabled === true || changes.role === 'agent')) {
          throw new ProtocolError('FORBIDDEN', 'An admin cannot disable or demote their own account.');
        }
        return auth.changeAgent(agentId, changes);
      },
      trainingExamples: () => workspace.labelledExamples(),
    };
  }
}
