import { conversationOfSource, type HarvestedAnswer, type KnowledgeStore, type ReuseStatus } from '../store/knowledge-store.ts';
import type { AuditStore } from '../store/audit-store.ts';
import { redact } from '../corpus/redact.ts';
import { ProtocolError } from '../protocol/errors.ts';
import { agentActor, type AgentPrincipal } from './auth.ts';

/** A harvested agent answer as the review list shows it: always redacted. */
export interface HarvestedAnswerView {
  id: string;
  status: ReuseStatus;
  /** The visitor question it answered. */
  question: string;
  text: string;
  /** The conversation it was harvested from, for agents to read in context. */
  conversationId: string | null;
  harvestedAt: string;
  reviewed: { at: string; by: { id: string; name: string } | null } | null;
}

/**
 * Reuse review: harvested agent answers wait, redacted, until an agent or admin approves them for
 * other visitors (optionally with edited text) or rejects them. Texts are redacted again on every
 * read and decision, which also covers answers stored before harvesting redacted them.
 */
export class ReuseReview {
  constructor(
    private readonly knowledge: KnowledgeStore,
    /** Decisions are recorded here. */
    private readonly audit?: AuditStore,
  ) {}

  async list(filter: { status?: ReuseStatus; limit: number }): Promise<HarvestedAnswerView[]> {
    return (await this.knowledge.harvestedAnswers(filter)).map(toView);
  }

  approve(principal: AgentPrincipal, id: string, editedText?: string): Promise<HarvestedAnswerView> {
    return this.decide(principal, id, 'approved', editedText);
  }

  reject(principal: AgentPrincipal, id: string): Promise<HarvestedAnswerView> {
    return this.decide(principal, id, 'rejected');
  }

  private async decide(principal: AgentPrincipal, id: string, status: 'approved' | 'rejected', editedText?: string): Promise<HarvestedAnswerView> {
    const current = await this.knowledge.byId(id);
    if (!current || current.kind !== 'agent_answer' || current.deletedAt) throw notFound();
    const text = redact((editedText ?? current.text).trim());
    if (text.length === 0) throw new ProtocolError('TEXT_EMPTY', 'The answer text is empty.');
    const reviewed = await this.knowledge.reviewAgentAnswer(id, {
      status,
      reviewerId: principal.id,
      question: current.question === null ? null : redact(current.question),
      text,
    });
    if (!reviewed) throw notFound();
    await this.audit?.record({
      actor: agentActor(principal),
      action: status === 'approved' ? 'answer.approve' : 'answer.reject',
      target: { kind: 'harvested_answer', id },
      details: { edited: editedText !== undefined && editedText.trim() !== current.text.trim() },
    });
    return toView(reviewed);
  }
}

function notFound(): ProtocolError {
  return new ProtocolError('NOT_FOUND', 'No such harvested answer.');
}

function toView(answer: HarvestedAnswer): HarvestedAnswerView {
  return {
    id: answer.id,
    status: answer.reuseStatus ?? 'pending',
    question: redact(answer.question ?? ''),
    text: redact(answer.text),
    conversationId: conversationOfSource(answer.source),
    harvestedAt: answer.createdAt.toISOString(),
    reviewed: answer.reviewedAt ? { at: answer.reviewedAt.toISOString(), by: answer.reviewedBy } : null,
  };
}
