import CircuitBreaker from 'opossum';
import { z } from 'zod';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { actionResponseSchema, type ActionRequestInput, type ActionResponse } from './protocol.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';

/** One configured action: where its webhook is and how to call it. */
export interface ActionDefinition {
  /** https://…, or http:// on the loopback (the reference shop). */
  url: string;
  /** Signs every request (see signature.ts); the shop verifies it with the same secret. */
  secret: string;
  /** Safe to call twice with the same request: only such actions are retried. */
  idempotent: boolean;
  /** Longest wait for one attempt, answer included. */
  timeoutMs: number;
  /** Further attempts after a timeout, network error, 429 or 5xx (idempotent actions only). */
  retries: number;
}

/** When an action's circuit breaker opens, and when it tries again (shared by every action). */
export interface BreakerSettings {
  /** Share of failed calls within the window, in percent, above which the breaker opens. */
  errorThresholdPercentage: number;
  /** Calls within the window before the breaker may open at all. */
  volumeThreshold: number;
  /** How long an open breaker refuses calls before letting one through (half-open). */
  resetTimeoutMs: number;
  /** The rolling window the failure share is counted over. */
  windowMs: number;
}

export const DEFAULT_ACTION_TIMEOUT_MS = 3_000;
export const DEFAULT_ACTION_RETRIES = 2;
export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeoutMs: 30_000, windowMs: 60_000 };
/** The first retry waits about this long, each further one twice as long (with jitter). */
const DEFAULT_BACKOFF_MS = 200;

export type ActionFailureReason = 'timeout' | 'http_error' | 'invalid_response' | 'breaker_open' | 'network' | 'not_configured';

/** What the dialogue hands over; the action's name is added by the client. */
export type ActionCall = Omit<ActionRequestInput, 'action'>;

type AttemptOutcome = { ok: true; data: ActionResponse } | { ok: false; reason: ActionFailureReason; detail: string; status?: number };

/** Never thrown at the caller: a failure is a value, with a reason the dialogue can apologise for. */
export type ActionResult = AttemptOutcome & { action: string; attempts: number; latencyMs: number };

/** Failures that say the shop is down or overloaded: they count against the breaker and are retried. */
function isTransient(outcome: AttemptOutcome): boolean {
  if (outcome.ok) return false;
  if (outcome.reason === 'http_error') return outcome.status === 429 || (outcome.status ?? 0) >= 500;
  return outcome.reason === 'timeout' || outcome.reason === 'network';
}

/** Carries a transient outcome through opossum, which counts a failure only when the action rejects. */
class TransientFailure extends Error {
  constructor(readonly outcome: AttemptOutcome) {
    super('transient action failure');
  }
}

interface ConfiguredAction {
  definition: ActionDefinition;
  breaker: CircuitBreaker<[string], AttemptOutcome>;
}

const BREAKER_STATE = { closed: 0, half_open: 1, open: 2 } as const;

/**
 * Calls companies' action webhooks: signed, bounded in time, retried only when idempotent, and
 * behind a circuit breaker per action, so that a dead shop API fails fast instead of slowing
 * every message. `call` never throws.
 */
export class ActionClient {
  private readonly actions = new Map<string, ConfiguredAction>();
  private readonly breakerSettings: BreakerSettings;
  private readonly backoffMs: number;
  private readonly logger: Logger;
  private readonly metrics: Metrics;

  constructor(
    definitions: Readonly<Record<string, ActionDefinition>>,
    options: { logger: Logger; metrics: Metrics; breaker?: BreakerSettings; backoffMs?: number },
  ) {
    this.breakerSettings = options.breaker ?? DEFAULT_BREAKER_SETTINGS;
    this.backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.logger = options.logger;
    this.metrics = options.metrics;
    for (const [name, definition] of Object.entries(definitions)) this.define(name, definition);
  }

  has(name: string): boolean {
    return this.actions.has(name);
  }

  /** Adds an action, or replaces one (with a fresh breaker). */
  define(name: string, definition: ActionDefinition): void {
    this.actions.get(name)?.breaker.shutdown();
    const settings = this.breakerSettings;
    const breaker = new CircuitBreaker(async (body: string) => {
      const outcome = await send(definition, body);
      if (isTransient(outcome)) throw new TransientFailure(outcome);
      return outcome;
    }, {
      name,
      // The attempt is bounded by its own AbortSignal, which also stops the request.
      timeout: false,
      errorThresholdPercentage: settings.errorThresholdPercentage,
      volumeThreshold: settings.volumeThreshold,
      resetTimeout: settings.resetTimeoutMs,
      rollingCountTimeout: settings.windowMs,
    });
    const breakerState = this.metrics.actionBreakerState;
    breaker.on('open', () => breakerState.set({ action: name }, BREAKER_STATE.open));
    breaker.on('halfOpen', () => breakerState.set({ action: name }, BREAKER_STATE.half_open));
    breaker.on('close', () => breakerState.set({ action: name }, BREAKER_STATE.closed));
    breakerState.set({ action: name }, BREAKER_STATE.closed);
    this.actions.set(name, { definition, breaker });
  }

  /** Calls the action `name` with what the dialogue knows; resolves with the shop's answer or why there is none. */
  async call(name: string, request: ActionCall): Promise<ActionResult> {
    const started = performance.now();
    const configured = this.actions.get(name);
    let outcome: AttemptOutcome = { ok: false, reason: 'not_configured', detail: `no action "${name}" is configured` };
    let attempts = 0;
    if (configured) {
      const body = JSON.stringify({ action: name, ...request } satisfies ActionRequestInput);
      const { definition } = configured;
      for (;;) {
        attempts += 1;
        outcome = await this.attempt(configured.breaker, body);
        const retry = definition.idempotent && attempts <= definition.retries && isTransient(outcome);
        if (!retry) break;
        await delay(this.backoffMs * 2 ** (attempts - 1) * (0.5 + Math.random() / 2));
      }
    }
    const result: ActionResult = { ...outcome, action: name, attempts, latencyMs: performance.now() - started };
    this.metrics.actionCalls.inc({ action: name, outcome: result.ok ? 'ok' : result.reason });
    this.metrics.actionDuration.observe({ action: name }, result.latencyMs / 1000);
    if (!result.ok) this.logger.warn({ action: name, reason: result.reason, status: result.status, detail: result.detail, attempts }, 'action failed');
    return result;
  }

  /** Stops the breakers' timers. */
  close(): void {
    for (const { breaker } of this.actions.values()) breaker.shutdown();
  }

  private async attempt(breaker: CircuitBreaker<[string], AttemptOutcome>, body: string): Promise<AttemptOutcome> {
    try {
      return await breaker.fire(body);
    } catch (error) {
      if (error instanceof TransientFailure) return error.outcome;
      if ((error as { code?: unknown }).code === 'EOPENBREAKER') {
        return { ok: false, reason: 'breaker_open', detail: 'the circuit breaker is open after repeated failures' };
      }
      return { ok: false, reason: 'network', detail: String(error) };
    }
  }
}

/** One signed POST; every failure becomes an outcome. */
async function send(definition: ActionDefinition, body: string): Promise<AttemptOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(definition.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signatureHeader(body, definition.secret) },
      body,
      // A redirect would carry the signed request somewhere the configuration did not name.
      redirect: 'error',
      signal: AbortSignal.timeout(definition.timeoutMs),
    });
    text = await response.text();
  } catch (error) {
    if ((error as { name?: unknown }).name === 'TimeoutError') return { ok: false, reason: 'timeout', detail: `no answer within ${definition.timeoutMs} ms` };
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    return { ok: false, reason: 'network', detail: String(cause?.code ?? cause?.message ?? error) };
  }
  if (!response.ok) return { ok: false, reason: 'http_error', status: response.status, detail: `HTTP ${response.status}` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'invalid_response', detail: 'the response is not JSON' };
  }
  const parsed = actionResponseSchema.safeParse(json);
  if (!parsed.success) return { ok: false, reason: 'invalid_response', detail: z.prettifyError(parsed.error) };
  return { ok: true, data: parsed.data };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
