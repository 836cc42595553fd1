import { EventEmitter } from 'node:events';
import Mustache from 'mustache';
import { renderTemplate } from '../catalogue/templates.ts';
import { z } from 'zod';
import type { PrismaClient } from '../store/prisma.ts';
import { AuditStore } from '../store/audit-store.ts';
import { AgentToolsStore, type CannedContextRow, type CannedReplyRow, type NoteRow } from '../store/agent-tools-store.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { checkText } from '../protocol/payloads.ts';
import { parseFormState } from '../dialogue/policy.ts';
import { agentActor, type AgentPrincipal } from './auth.ts';

/** `/shortcut`: letters, digits, `-` and `_`, up to 32. */
export const SHORTCUT = /^[\p{L}\p{N}][\p{L}\p{N}_-]{0,31}$/u;
const MAX_TEMPLATE_CHARS = 4000;

export const cannedReplyPayload = z.object({
  shortcut: z.string().trim().regex(SHORTCUT, 'letters, digits, - and _, up to 32'),
  text: z.string().min(1).max(MAX_TEMPLATE_CHARS),
  /** Shared with every agent (admins only), else the agent's own. */
  shared: z.boolean().default(false),
});
export const cannedReplyChanges = z.object({
  shortcut: z.string().trim().regex(SHORTCUT, 'letters, digits, - and _, up to 32').optional(),
  text: z.string().min(1).max(MAX_TEMPLATE_CHARS).optional(),
});
export const notePayload = z.object({ text: z.string().max(10_000) });

export interface CannedReplyView {
  id: string;
  shortcut: string;
  text: string;
  shared: boolean;
  /** Whether this agent may change it: their own, or a shared one for an admin. */
  editable: boolean;
  updatedAt: string;
}

export interface NoteView {
  id: string;
  conversationId: string;
  agent: { id: string; name: string };
  text: string;
  createdAt: string;
}

export interface AgentToolsEvents {
  /** A note was added: agents watching the conversation see it (never the visitor). */
  note: [note: NoteView];
}

/**
 * Canned replies (shared ones managed by admins, and each agent's own) and internal notes. Notes
 * are their own table, not messages: nothing that reads messages (the visitor's history, training,
 * reports, the answer harvest) can see them.
 */
export class AgentTools extends EventEmitter<AgentToolsEvents> {
  private readonly store: AgentToolsStore;
  private readonly audit: AuditStore;

  constructor(prisma: PrismaClient, private readonly maxNoteChars = 4000) {
    super();
    this.store = new AgentToolsStore(prisma);
    this.audit = new AuditStore(prisma);
  }

  async cannedReplies(principal: AgentPrincipal): Promise<CannedReplyView[]> {
    return (await this.store.cannedReplies(principal.id)).map((row) => toCannedView(row, principal));
  }

  async createCannedReply(principal: AgentPrincipal, input: z.infer<typeof cannedReplyPayload>): Promise<CannedReplyView> {
    if (input.shared && principal.role !== 'admin') throw new ProtocolError('FORBIDDEN', 'Only admins manage shared canned replies.');
    const row = await this.store.createCannedReply({ shortcut: input.shortcut, text: input.text, ownerId: input.shared ? null : principal.id });
    await this.audit.record({ actor: agentActor(principal), action: 'canned_reply.create', target: { kind: 'canned_reply', id: row.id }, details: { shared: input.shared } });
    return toCannedView(row, principal);
  }

  async changeCannedReply(principal: AgentPrincipal, id: string, changes: z.infer<typeof cannedReplyChanges>): Promise<CannedReplyView> {
    await this.editable(principal, id);
    const row = await this.store.updateCannedReply(id, changes);
    if (!row) throw new ProtocolError('NOT_FOUND', 'No such canned reply.');
    await this.audit.record({ actor: agentActor(principal), action: 'canned_reply.change', target: { kind: 'canned_reply', id } });
    return toCannedView(row, principal);
  }

  async deleteCannedReply(principal: AgentPrincipal, id: string): Promise<boolean> {
    await this.editable(principal, id);
    const removed = await this.store.deleteCannedReply(id);
    if (removed) await this.audit.record({ actor: agentActor(principal), action: 'canned_reply.delete', target: { kind: 'canned_reply', id } });
    return removed;
  }

  /**
   * The canned reply `/shortcut` (the agent's own before a shared one) filled in for the conversation.
   * `missing`: the variables the conversation has no value for (left empty in `text`).
   */
  async render(principal: AgentPrincipal, conversationId: string, shortcut: string): Promise<{ shortcut: string; text: string; missing: string[] }> {
    const wanted = shortcut.replace(/^\//, '').toLowerCase();
    const replies = await this.store.cannedReplies(principal.id);
    const reply = replies.find((row) => row.ownerId !== null && row.shortcut.toLowerCase() === wanted) ?? replies.find((row) => row.shortcut.toLowerCase() === wanted);
    if (!reply) throw new ProtocolError('NOT_FOUND', `No canned reply /${wanted.slice(0, 32)}.`);
    const context = await this.store.cannedContext(conversationId);
    if (!context) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    return { shortcut: reply.shortcut, ...renderCanned(reply.text, cannedVariables(context, principal)) };
  }

  async notes(conversationId: string): Promise<NoteView[]> {
    const rows = await this.store.notes(conversationId);
    if (!rows) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    return rows.map(toNoteView);
  }

  /** Any signed-in agent may note on any conversation (a supervisor's hint to the agent holding it). */
  async addNote(principal: AgentPrincipal, conversationId: string, text: string): Promise<NoteView> {
    const checked = checkText(text, this.maxNoteChars);
    const row = await this.store.addNote({ conversationId, agentId: principal.id, text: checked });
    if (!row) throw new ProtocolError('NOT_FOUND', 'No such conversation.');
    const note = toNoteView({ ...row, agentName: principal.name });
    await this.audit.record({ actor: agentActor(principal), action: 'conversation.note', target: { kind: 'conversation', id: conversationId }, details: { noteId: row.id } });
    this.emit('note', note);
    return note;
  }

  /** An agent sent a file (the file itself is in Attachments): the audit log keeps who and which. */
  async recordAttachment(principal: AgentPrincipal, conversationId: string, attachmentId: string): Promise<void> {
    await this.audit.record({ actor: agentActor(principal), action: 'conversation.attachment', target: { kind: 'conversation', id: conversationId }, details: { attachmentId } });
  }

  private async editable(principal: AgentPrincipal, id: string): Promise<void> {
    const row = await this.store.cannedReply(id);
    if (!row || (row.ownerId !== null && row.ownerId !== principal.id)) throw new ProtocolError('NOT_FOUND', 'No such canned reply.');
    if (row.ownerId === null && principal.role !== 'admin') throw new ProtocolError('FORBIDDEN', 'Only admins manage shared canned replies.');
  }
}

/**
 * The variables of a canned reply: `visitor_name` (the signed-in customer's name, else the name
 * the page gave), `visitor_email`, `customer_id`, `agent_name`, `language`, every slot of the open
 * form by name (`order_number`), and the latest entity of each type found in the visitor's
 * messages (`entities.order_number`, also by its type alone when no slot has that name).
 */
export function cannedVariables(context: CannedContextRow, agent: { name: string }): Record<string, unknown> {
  const entities: Record<string, string> = {};
  for (const list of context.entities) {
    if (!Array.isArray(list)) continue;
    for (const entity of list) {
      if (entity && typeof entity === 'object' && typeof (entity as { type?: unknown }).type === 'string') {
        const { type, value, text } = entity as { type: string; value?: unknown; text?: unknown };
        const shown = typeof value === 'string' || typeof value === 'number' ? String(value) : typeof text === 'string' ? text : undefined;
        if (shown !== undefined) entities[type] = shown;
      }
    }
  }
  const slots: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseFormState(context.form)?.slots ?? {})) {
    slots[name] = typeof value === 'object' ? `${value.amount} ${value.currency}` : String(value);
  }
  return {
    ...entities,
    ...slots,
    entities,
    slots,
    visitor_name: context.customerName ?? context.visitorName ?? undefined,
    visitor_email: context.customerEmail ?? context.visitorEmail ?? undefined,
    customer_id: context.customerId ?? undefined,
    language: context.language ?? undefined,
    agent_name: agent.name,
  };
}

/** Fills a template as plain text (no HTML escaping: the widget shows text); names without a value are listed. */
export function renderCanned(template: string, variables: Record<string, unknown>): { text: string; missing: string[] } {
  let tokens;
  try {
    tokens = Mustache.parse(template);
  } catch (error) {
    throw new ProtocolError('INVALID_PAYLOAD', `The canned reply is not a valid template: ${(error as Error).message.slice(0, 120)}`);
  }
  const missing = new Set<string>();
  const visit = (list: unknown[]) => {
    for (const token of list as Array<[string, string, number, number, unknown[]?]>) {
      if ((token[0] === 'name' || token[0] === '&') && lookup(variables, token[1]) === undefined) missing.add(token[1]);
      // Only the sections that are shown: `{{#x}}` when x has a value, `{{^x}}` when it has none.
      const shown = token[0] === '#' ? lookup(variables, token[1]) !== undefined && lookup(variables, token[1]) !== false : token[0] === '^' && !lookup(variables, token[1]);
      if (shown && Array.isArray(token[4])) visit(token[4]);
    }
  };
  visit(tokens);
  return { text: renderTemplate(template, variables), missing: [...missing] };
}

function lookup(variables: Record<string, unknown>, name: string): unknown {
  let current: unknown = variables;
  for (const part of name.split('.')) {
    if (!current || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current === '' ? undefined : current;
}

function toCannedView(row: CannedReplyRow, principal: AgentPrincipal): CannedReplyView {
  return {
    id: row.id,
    shortcut: row.shortcut,
    text: row.text,
    shared: row.ownerId === null,
    editable: row.ownerId === principal.id || (row.ownerId === null && principal.role === 'admin'),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

function toNoteView(row: NoteRow): NoteView {
  return { id: row.id, conversationId: row.conversationId, agent: { id: row.agentId, name: row.agentName }, text: row.text, createdAt: new Date(row.createdAt).toISOString() };
}
