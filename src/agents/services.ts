import type { ConversationEvents } from '../dialogue/conversation-events.ts';
import type { Logger } from '../observability/logger.ts';
import { AgentStore } from '../store/agent-store.ts';
import { KnowledgeStore } from '../store/knowledge-store.ts';
import { AuditStore } from '../store/audit-store.ts';
import { DataRights } from '../privacy/data-rights.ts';
import { ReportStore } from '../store/report-store.ts';
import { DeskReports } from '../reports/report.ts';
import type { PrismaClient } from '../store/prisma.ts';
import type { ActionClient } from '../actions/client.ts';
import type { IntentCatalogueView } from '../dialogue/policy.ts';
import { AgentActionRunner } from './action-runner.ts';
import { AgentAdmin } from './admin.ts';
import { AgentAuth } from './auth.ts';
import { ReuseReview } from './reuse-review.ts';
import { AgentWorkspace, type IntentOption } from './workspace.ts';

/** Everything the agent API and the `/agent` namespace call: the use cases, no transport. */
export interface AgentServices {
  workspace: AgentWorkspace;
  auth: AgentAuth;
  admin: AgentAdmin;
  reuse: ReuseReview;
  /** The desk's reports (any signed-in agent). */
  reports: DeskReports;
  /** Runs intents' actions for agents from the console; absent without an action client. */
  actionRunner?: AgentActionRunner;
}

export function createAgentServices(options: {
  prisma: PrismaClient;
  logger: Logger;
  events: ConversationEvents;
  intents?: () => readonly IntentOption[];
  maxMessageChars?: number;
  sessionTtlMs?: number;
  /** The shops' actions and the catalogue that names them, for agents who run an action themselves. */
  actions?: { client: Pick<ActionClient, 'call'>; catalogue: () => IntentCatalogueView };
}): AgentServices {
  const workspace = new AgentWorkspace({
    prisma: options.prisma,
    logger: options.logger,
    events: options.events,
    ...(options.intents ? { intents: options.intents } : {}),
    ...(options.maxMessageChars ? { maxMessageChars: options.maxMessageChars } : {}),
  });
  const accounts = new AgentStore(options.prisma);
  // Every agent's and admin's action is recorded here (GET /api/agent/audit).
  const audit = new AuditStore(options.prisma);
  const auth = new AgentAuth(accounts, { audit, ...(options.sessionTtlMs ? { sessionTtlMs: options.sessionTtlMs } : {}) });
  // Housekeeping at start; a failure only leaves old rows for the next start.
  void accounts.deleteStaleSessions().catch(() => {});
  return {
    workspace,
    auth,
    admin: new AgentAdmin({ auth, accounts, workspace, audit, rights: new DataRights(options.prisma) }),
    reuse: new ReuseReview(new KnowledgeStore(options.prisma), audit),
    reports: new DeskReports(new ReportStore(options.prisma)),
    ...(options.actions ? { actionRunner: new AgentActionRunner({ prisma: options.prisma, actions: options.actions.client, catalogue: options.actions.catalogue }) } : {}),
  };
}
