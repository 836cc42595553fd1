import { Prisma } from './prisma.ts';

/** A failure of the database itself (down, unreachable, timed out), as opposed to a bad request. */
export class DatabaseUnavailableError extends Error {
  readonly code = 'DATABASE_UNAVAILABLE';
  constructor(cause: unknown) {
    super('The database is unavailable', { cause });
  }
}

// 57014: a statement cancelled by statement_timeout (DATABASE_TIMEOUT_MS), as slow as a database that is down.
const CONNECTION_ERROR_CODES = new Set(['57014', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);
const PRISMA_CONNECTION_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

export function isConnectionFailure(error: unknown): boolean {
  for (let current: unknown = error; current; current = (current as { cause?: unknown }).cause) {
    if (current instanceof DatabaseUnavailableError) return true;
    if (current instanceof Prisma.PrismaClientInitializationError) return true;
    if (current instanceof Prisma.PrismaClientKnownRequestError && PRISMA_CONNECTION_CODES.has(current.code)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
    const message = (current as { message?: unknown }).message;
    if (typeof message === 'string' && /connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|Connection terminated|database system is shutting down|the database system is starting up|Query read timeout/i.test(message)) {
      return true;
    }
    if (current === (current as { cause?: unknown }).cause) break;
  }
  return false;
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

/** Runs a store operation, turning connection failures into DatabaseUnavailableError. */
export async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (isConnectionFailure(error)) throw new DatabaseUnavailableError(error);
    throw error;
  }
}
