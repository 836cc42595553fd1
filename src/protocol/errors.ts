import { isConnectionFailure } from '../store/errors.ts';

/**
 * Every error code a client can see, on `/chat`, on `/agent` and from the agent REST API, with the
 * HTTP status the REST API answers it with. Clients branch on the code, never on the message.
 */
const HTTP_STATUS = {
  INVALID_PAYLOAD: 400,
  TEXT_EMPTY: 400,
  TEXT_TOO_LONG: 400,
  WEAK_PASSWORD: 400,
  UNKNOWN_INTENT: 400,
  UNKNOWN_EVENT: 400,
  INVALID_RANGE: 400,
  UNAUTHORIZED: 401,
  INVALID_CREDENTIALS: 401,
  INVALID_TOKEN: 401,
  INVALID_CUSTOMER_TOKEN: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  UNKNOWN_CONVERSATION: 404,
  UNKNOWN_MESSAGE: 404,
  AGENT_EXISTS: 409,
  INVALID_TRANSITION: 409,
  NOT_ASSIGNEE: 409,
  HELD_BY_OTHER: 409,
  CONFLICT: 409,
  SHORTCUT_EXISTS: 409,
  ATTACHMENT_TOO_LARGE: 413,
  ATTACHMENT_TYPE_REFUSED: 415,
  CATALOGUE_INVALID: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  DATABASE_UNAVAILABLE: 503,
  SHUTTING_DOWN: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof HTTP_STATUS;

/** A refusal the caller can act on: a stable code and a message for people. */
export class ProtocolError extends Error {
  constructor(readonly code: ErrorCode, message: string, readonly problems?: readonly ErrorProblem[]) {
    super(message);
  }
}

/** One thing wrong with a submitted document (CATALOGUE_INVALID): where, and what. */
export interface ErrorProblem {
  file: string;
  field?: string | undefined;
  line?: number | undefined;
  column?: number | undefined;
  message: string;
}

export interface ErrorBody {
  ok: false;
  error: { code: ErrorCode; message: string; problems?: readonly ErrorProblem[] };
}

export function errorBody(code: ErrorCode, message: string, problems?: readonly ErrorProblem[]): ErrorBody {
  return { ok: false, error: { code, message, ...(problems ? { problems } : {}) } };
}

export function httpStatus(code: ErrorCode): number {
  return HTTP_STATUS[code];
}

/** The database is down, unreachable or too slow: the request may be retried as it is. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return isConnectionFailure(error);
}

/**
 * Any failure as `{ ok: false, error }`, never leaking internals. `retry` tells the caller what to do
 * after a failure that is not theirs (visitors resend with the same clientId).
 */
export function toErrorBody(error: unknown, retry = 'retry shortly'): ErrorBody {
  if (error instanceof ProtocolError) return errorBody(error.code, error.message, error.problems);
  if (isDatabaseUnavailable(error)) return errorBody('DATABASE_UNAVAILABLE', `The service is temporarily unavailable; ${retry}.`);
  // Store errors that carry one of our codes (NOT_FOUND, AGENT_EXISTS).
  if (isCoded(error)) return errorBody(error.code, error.message);
  return errorBody('INTERNAL', `Something went wrong on our side; ${retry}.`);
}

function isCoded(error: unknown): error is { code: ErrorCode; message: string } {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return typeof code === 'string' && Object.hasOwn(HTTP_STATUS, code) && typeof message === 'string';
}
