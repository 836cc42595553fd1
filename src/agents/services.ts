import type { ConversationEvents } from '../dialogue/conversation-events.ts';
import type { Logger } from '../observability/logger.ts';
import { AgentStore } from '../store/agent-store.ts';
import { KnowledgeStore } from '../store/knowledge-store.ts';
import type { PrismaClient } from '../store/prisma.ts';
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
}

export function createAgentServices(options: {
  prisma: PrismaClient;
  logger: Logger;
  events: ConversationEvents;
  intents?: () => readonly IntentOption[];
  maxMessageChars?: number;
  sessionTtlMs?: number;
}): AgentServices {
  const workspace = new AgentWorkspace({
    prisma: options.prisma,
    logger: options.logger,
    events: options.events,
    ...(options.intents ? { intents: options.intents } : {}),
    ...(options.maxMessageChars ? { maxMessageChars: options.maxMessageChars } : {}),
  });
  const accounts = new AgentStore(options.prisma);
  const auth = new AgentAuth(accounts, options.sessionTtlMs ? { sessionTtlMs: options.sessionTtlMs } : {});
  // Housekeeping at start; a failure only leaves old rows for the next start.
  void accounts.deleteStaleSessions().catch(() => {});
  return { workspace, auth, admin: new AgentAdmin({ auth, accounts, workspace }), reuse: new ReuseReview(new KnowledgeStore(options.prisma)) };
}
