import { DatabaseUnavailableError, isConnectionFailure } from '../store/errors.ts';

/** Stable error codes of the agent API and the `/agent` namespace; clients branch on these. */
export type AgentErrorCode =
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'INVALID_CREDENTIALS'
  | 'INVALID_PAYLOAD'
  | 'WEAK_PASSWORD'
  | 'AGENT_EXISTS'
  | 'NOT_FOUND'
  | 'UNKNOWN_INTENT'
  | 'INVALID_TRANSITION'
  | 'NOT_ASSIGNEE'
  | 'HELD_BY_OTHER'
  | 'CONFLICT'
  | 'TEXT_EMPTY'
  | 'TEXT_TOO_LONG'
  | 'RATE_LIMITED'
  | 'UNKNOWN_EVENT'
  | 'DATABASE_UNAVAILABLE'
  | 'INTERNAL';

export class AgentError extends Error {
  constructor(readonly code: AgentErrorCode, message: string) {
    super(message);
  }
}

const HTTP_STATUS: Record<AgentErrorCode, number> = {
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  INVALID_PAYLOAD: 400,
  WEAK_PASSWORD: 400,
  TEXT_EMPTY: 400,
  TEXT_TOO_LONG: 400,
  UNKNOWN_INTENT: 400,
  UNKNOWN_EVENT: 400,
  NOT_FOUND: 404,
  AGENT_EXISTS: 409,
  INVALID_TRANSITION: 409,
  NOT_ASSIGNEE: 409,
  HELD_BY_OTHER: 409,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export interface AgentErrorBody {
  ok: false;
  error: { code: AgentErrorCode; message: string };
}

/** Any failure as `{ ok: false, error }` plus its HTTP status, never leaking internals. */
export function toAgentError(error: unknown): { status: number; body: AgentErrorBody } {
  let code: AgentErrorCode = 'INTERNAL';
  let message = 'Something went wrong on our side.';
  if (error instanceof AgentError) {
    code = error.code;
    message = error.message;
  } else if (error instanceof DatabaseUnavailableError || isConnectionFailure(error)) {
    code = 'DATABASE_UNAVAILABLE';
    message = 'The database is temporarily unavailable; retry shortly.';
  } else if (isCoded(error) && error.code in HTTP_STATUS) {
    // Store errors that carry one of our codes (NOT_FOUND, AGENT_EXISTS).
    code = error.code as AgentErrorCode;
    message = error.message;
  }
  return { status: HTTP_STATUS[code], body: { ok: false, error: { code, message } } };
}

export function isExpectedAgentError(error: unknown): boolean {
  return toAgentError(error).body.error.code !== 'INTERNAL';
}

function isCoded(error: unknown): error is { code: string; message: string } {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && typeof (error as { message?: unknown }).message === 'string';
}
