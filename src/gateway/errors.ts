import { DatabaseUnavailableError, isConnectionFailure } from '../store/errors.ts';

/** Stable error codes of the chat protocol; clients branch on these, never on messages. */
export type ErrorCode =
  | 'INVALID_PAYLOAD'
  | 'TEXT_EMPTY'
  | 'TEXT_TOO_LONG'
  | 'RATE_LIMITED'
  | 'UNKNOWN_CONVERSATION'
  | 'UNKNOWN_MESSAGE'
  | 'INVALID_TOKEN'
  | 'DATABASE_UNAVAILABLE'
  | 'SHUTTING_DOWN'
  | 'UNKNOWN_EVENT'
  | 'INTERNAL';

export class ProtocolError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

export interface ErrorBody {
  ok: false;
  error: { code: ErrorCode; message: string };
}

/** Maps any failure to the protocol's error shape without leaking internals. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof ProtocolError) return { ok: false, error: { code: error.code, message: error.message } };
  if (error instanceof DatabaseUnavailableError || isConnectionFailure(error)) {
    return { ok: false, error: { code: 'DATABASE_UNAVAILABLE', message: 'The service is temporarily unavailable; retry with the same clientId.' } };
  }
  return { ok: false, error: { code: 'INTERNAL', message: 'Something went wrong on our side; retry with the same clientId.' } };
}

export function isExpectedError(error: unknown): boolean {
  return error instanceof ProtocolError;
}
