import { z } from 'zod';
import type { ActionClient, ActionResult } from '../actions/client.ts';
import { actionCustomer } from '../actions/protocol.ts';
import type { IntentCatalogueView, SlotValue } from '../dialogue/policy.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { parsePayload } from '../protocol/payloads.ts';
import { conversationCustomer } from '../store/chat-store.ts';
import { guarded } from '../store/errors.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { AuditStore } from '../store/audit-store.ts';
import { agentActor, type AgentPrincipal } from './auth.ts';
import { uuid } from './payloads.ts';

/** What the console sends to run an intent's action for a conversation. */
export const runActionPayload = z.strictObject({
  conversationId: uuid,
  intent: z.string().min(1).max(64),
  slots: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,63}$/), z.union([z.string().max(500), z.number()])).default({}),
  /** The agent confirmed what the shop asked to confirm (a cancellation, a new address). */
  confirmed: z.boolean().default(false),
});

/** What the agent sees: the shop's answer rendered as the bot would say it, or why there is none. */
export type AgentActionOutcome =
  | { ok: true; response: 'answer' | 'confirm'; template: string; text: string; latencyMs: number }
  | { ok: true; response: 'ask_slot'; slot: string; latencyMs: number }
  | { ok: true; response: 'handoff'; reason: string | null; latencyMs: number }
  | { ok: false; reason: string; latencyMs: number };

/**
 * Agents run an intent's action from the console, with slots they fill in (the open form's, or what
 * the visitor said), on behalf of the conversation's verified customer and in its language. The
 * answer is shown to the agent only, who decides what to tell the visitor.
 */
export class AgentActionRunner {
  private readonly audit: AuditStore;

  constructor(
    private readonly options: {
      prisma: PrismaClient;
      actions: Pick<ActionClient, 'call'>;
      catalogue: () => IntentCatalogueView;
    },
  ) {
    this.audit = new AuditStore(options.prisma);
  }

  async run(principal: AgentPrincipal, payload: unknown): Promise<AgentActionOutcome> {
    const input = parsePayload(runActionPayload, payload);
    const catalogue = this.options.catalogue();
    const action = catalogue.get(input.intent)?.action;
    if (!action) throw new ProtocolError('UNKNOWN_INTENT', `Intent "${input.intent}" has no action.`);
    const conversation = await guarded(() =>
      this.options.prisma.conversation.findUnique({
        where: { id: input.conversationId },
        select: { customerId: true, customerEmail: true, customerName: true, language: true, messages: { where: { role: 'bot' }, orderBy: { seq: 'desc' }, take: 1, select: { details: true } } },
      }),
    );
    if (!conversation) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    const language = conversation.language ?? (conversation.messages[0]?.details as { language?: string } | null)?.language ?? 'en';
    const result = await this.options.actions.call(action.name, {
      intent: input.intent,
      slots: input.slots as Record<string, SlotValue>,
      customer: actionCustomer(conversationCustomer(conversation)),
      conversationId: input.conversationId,
      language,
      confirmed: input.confirmed,
    });
    // Ids and outcomes only: the slots may hold what the visitor typed.
    await this.audit.record({
      actor: agentActor(principal),
      action: 'action.run',
      target: { kind: 'conversation', id: input.conversationId },
      details: { action: action.name, intent: input.intent, confirmed: input.confirmed, ok: result.ok, response: result.ok ? result.data.type : result.reason },
    });
    return outcome(result, (template, variables) => catalogue.renderTemplate(input.intent, template, language, { ...input.slots, ...variables }));
  }
}

function outcome(result: ActionResult, render: (template: string, variables: Record<string, string | number | boolean | null>) => string | undefined): AgentActionOutcome {
  const latencyMs = Math.round(result.latencyMs);
  if (!result.ok) return { ok: false, reason: result.reason, latencyMs };
  const response = result.data;
  switch (response.type) {
    case 'answer':
    case 'confirm': {
      const text = render(response.template, response.variables);
      return text === undefined ? { ok: false, reason: 'unknown_template', latencyMs } : { ok: true, response: response.type, template: response.template, text, latencyMs };
    }
    case 'ask_slot':
      return { ok: true, response: 'ask_slot', slot: response.slot, latencyMs };
    case 'handoff':
      return { ok: true, response: 'handoff', reason: response.reason ?? null, latencyMs };
  }
}
