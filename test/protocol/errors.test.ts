import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { errorBody, httpStatus, ProtocolError, toErrorBody } from '../../src/protocol/errors.ts';
import { DatabaseUnavailableError } from '../../src/store/errors.ts';
import { AgentExistsError } from '../../src/store/agent-store.ts';

describe('error bodies', () => {
  test('a protocol error keeps its code and message', () => {
    assert.deepEqual(toErrorBody(new ProtocolError('TEXT_EMPTY', 'The message text is empty.')), errorBody('TEXT_EMPTY', 'The message text is empty.'));
  });

  test('an unreachable database is DATABASE_UNAVAILABLE, however it shows, with the caller\'s retry advice', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    for (const error of [new DatabaseUnavailableError(refused), refused, new Error('wrapped', { cause: refused })]) {
      assert.deepEqual(toErrorBody(error, 'retry with the same clientId'), errorBody('DATABASE_UNAVAILABLE', 'The service is temporarily unavailable; retry with the same clientId.'));
    }
  });

  test('a store error carrying one of our codes keeps it', () => {
    assert.equal(toErrorBody(new AgentExistsError('ann@example.com')).error.code, 'AGENT_EXISTS');
  });

  test('anything else is INTERNAL and leaks nothing', () => {
    for (const error of [new Error('relation "Secret" does not exist'), Object.assign(new Error('x'), { code: 'toString' }), Object.assign(new Error('x'), { code: 'P2002' }), 'thrown string', null, undefined]) {
      assert.deepEqual(toErrorBody(error), errorBody('INTERNAL', 'Something went wrong on our side; retry shortly.'));
    }
  });
});

describe('HTTP status of each code', () => {
  test('as the agent API answers it', () => {
    const expected = {
      INVALID_PAYLOAD: 400, TEXT_EMPTY: 400, TEXT_TOO_LONG: 400, WEAK_PASSWORD: 400, UNKNOWN_INTENT: 400, UNKNOWN_EVENT: 400,
      UNAUTHORIZED: 401, INVALID_CREDENTIALS: 401, FORBIDDEN: 403, NOT_FOUND: 404,
      AGENT_EXISTS: 409, INVALID_TRANSITION: 409, NOT_ASSIGNEE: 409, HELD_BY_OTHER: 409, CONFLICT: 409,
      RATE_LIMITED: 429, INTERNAL: 500, DATABASE_UNAVAILABLE: 503,
    } as const;
    for (const [code, status] of Object.entries(expected)) assert.equal(httpStatus(code as keyof typeof expected), status, code);
  });
});
