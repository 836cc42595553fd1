import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { Cron } from 'croner';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_ACTION_RETRIES, DEFAULT_ACTION_TIMEOUT_MS, DEFAULT_BREAKER_SETTINGS, type ActionDefinition, type BreakerSettings } from '../actions/client.ts';
import { identifierSchema } from '../actions/protocol.ts';
import { DEFAULT_POLICY_SETTINGS } from '../dialogue/policy.ts';
import { DEFAULT_TARGET_PRECISION } from '../retrieval/retriever.ts';
import { MIN_CUSTOMER_TOKEN_SECRET_CHARS, rsaPublicKey, type CustomerTokenSettings } from '../identity/customer-token.ts';
import { BusinessHoursError, parseBusinessHours, type BusinessHours } from '../availability/business-hours.ts';
import type { SmtpSettings } from '../availability/followup-mailer.ts';

const port = z.coerce.number().int().min(0).max(65535);
const commaList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

const environmentSchema = z.object({
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  ALLOWED_ORIGINS: commaList.optional(),
  INTENTS_DIR: z.string().min(1).default('./intents'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  MAX_MESSAGE_CHARS: z.coerce.number().int().min(1).max(100_000).default(2000),
  // Largest file a visitor or an agent may attach (images and PDFs, README "Attachments").
  ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(52_428_800).default(5_242_880),
  MESSAGES_PER_SECOND: z.coerce.number().positive().default(5),
  MESSAGE_BURST: z.coerce.number().int().positive().default(10),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  // Several processes on one Postgres share rooms and events; unset: on when DATABASE_URL is set (src/gateway/scale-out.ts).
  SCALE_OUT: z.enum(['postgres', 'off']).optional(),
  // Connections of this process's query pool; every in-flight message holds one per statement.
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(500).default(20),
  // Longest wait for a connection or a statement of the server's queries before DATABASE_UNAVAILABLE.
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  // Periodic retraining (docs/learning-loop.md): a cron expression, or "off". Default: every night at 03:00.
  RETRAIN_SCHEDULE: z
    .string()
    .default('0 3 * * *')
    .refine((value) => value === 'off' || validCron(value), 'must be a cron expression such as "0 3 * * *", or "off"'),
  // How much less accurate (absolute, 0..1) than the active version a candidate may be on an evaluation set and still be promoted.
  PROMOTION_MARGIN: z.coerce.number().min(0).max(1).default(0.01),
  // Reverse proxies in front of this server, whose X-Forwarded-For is believed (src/gateway/client-address.ts); unset: none.
  TRUST_PROXY: z.string().transform(parseTrustProxy).optional(),
  // Bearer token that /metrics requires; unset: /metrics is open to whoever reaches the port.
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  // Conversations inactive for this many days are erased by an hourly job (src/privacy/retention.ts); unset or "off": kept.
  RETENTION_DAYS: z.union([z.literal('off'), z.coerce.number().int().min(1).max(36_500)]).optional(),
  // Days a visitor token stays valid without being used; every connection renews it.
  VISITOR_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // Clarifying replies in a row before the next message the bot cannot answer hands over (src/dialogue/policy.ts).
  CLARIFICATIONS_BEFORE_HANDOFF: z.coerce.number().int().min(0).max(100).default(DEFAULT_POLICY_SETTINGS.clarificationsBeforeHandoff),
  // Suggestion buttons in a clarification; the model ranks five intents.
  SUGGESTIONS: z.coerce.number().int().min(0).max(5).default(DEFAULT_POLICY_SETTINGS.suggestions),
  // Share of accepted held-out questions that must be answered right where the retrieval threshold is chosen (docs/retrieval.md).
  RETRIEVAL_TARGET_PRECISION: z.coerce.number().gt(0).max(1).default(DEFAULT_TARGET_PRECISION),
  // The demo shop answering the actions that are not configured (src/shop); unset: on with the embedded database.
  REFERENCE_SHOP: z.enum(['on', 'off']).optional(),
  // How the shop signs its customer tokens (src/identity): one of the three, or none (tokens refused).
  CUSTOMER_TOKEN_SECRET: z.string().min(MIN_CUSTOMER_TOKEN_SECRET_CHARS, `must be at least ${MIN_CUSTOMER_TOKEN_SECRET_CHARS} characters`).optional(),
  // An environment file holds one line: "\n" stands for a line break.
  CUSTOMER_TOKEN_PUBLIC_KEY: z.string().transform((value) => value.replaceAll('\\n', '\n')).refine(isRsaPublicKey, 'must be an RSA public key in PEM (-----BEGIN PUBLIC KEY-----)').optional(),
  CUSTOMER_TOKEN_JWKS_URL: z.url().refine(isHttpsOrLoopback, 'must be an https:// URL (http:// only on a loopback host)').optional(),
  CUSTOMER_TOKEN_ISSUER: z.string().min(1).optional(),
  CUSTOMER_TOKEN_AUDIENCE: z.string().min(1).optional(),
  // When the desk is staffed (src/availability/business-hours.ts), e.g. "Europe/Berlin; Mon-Fri 09:00-17:30; closed 2026-12-24"; unset: always.
  BUSINESS_HOURS: z.string().transform(businessHours).optional(),
  // A conversation waiting this long for an agent gets the offline path (the e-mail question); "off": never.
  HANDOFF_WAIT_OFFLINE_MS: z.union([z.literal('off'), z.coerce.number().int().min(1_000).max(7 * 24 * 3600_000)]).default(600_000),
  // Agents' replies in a conversation whose visitor left an e-mail address are sent to it too (src/availability/followup-mailer.ts).
  SMTP_URL: z.string().regex(/^smtps?:\/\/[^/\s]+/, 'must be an smtp:// or smtps:// URL such as smtp://user:password@mail.example.com:587').optional(),
  SMTP_FROM: z.string().min(3).optional(),
}).refine(
  (values) => (values.SMTP_URL === undefined) === (values.SMTP_FROM === undefined),
  { path: ['SMTP_FROM'], message: 'set SMTP_URL and SMTP_FROM together (the server to send through, and the sender such as "Support <support@example.com>")' },
).refine(
  (values) => [values.CUSTOMER_TOKEN_SECRET, values.CUSTOMER_TOKEN_PUBLIC_KEY, values.CUSTOMER_TOKEN_JWKS_URL].filter(Boolean).length <= 1,
  { path: ['CUSTOMER_TOKEN_SECRET'], message: 'set one of CUSTOMER_TOKEN_SECRET, CUSTOMER_TOKEN_PUBLIC_KEY and CUSTOMER_TOKEN_JWKS_URL: each token is checked with one key and one algorithm' },
);

function businessHours(value: string, context: z.RefinementCtx): BusinessHours {
  try {
    return parseBusinessHours(value);
  } catch (error) {
    context.addIssue({ code: 'custom', message: error instanceof BusinessHoursError ? error.message : String(error) });
    return z.NEVER;
  }
}

function isRsaPublicKey(pem: string): boolean {
  try {
    rsaPublicKey(pem);
    return true;
  } catch {
    return false;
  }
}

/** The key set decides who is a customer: fetched over TLS, unless it is on this host. */
function customerTokenSettings(values: z.infer<typeof environmentSchema>): CustomerTokenSettings | null {
  const key = values.CUSTOMER_TOKEN_SECRET
    ? ({ algorithm: 'HS256', secret: values.CUSTOMER_TOKEN_SECRET } as const)
    : values.CUSTOMER_TOKEN_PUBLIC_KEY
      ? ({ algorithm: 'RS256', publicKeyPem: values.CUSTOMER_TOKEN_PUBLIC_KEY } as const)
      : values.CUSTOMER_TOKEN_JWKS_URL
        ? ({ algorithm: 'RS256', jwksUrl: values.CUSTOMER_TOKEN_JWKS_URL } as const)
        : null;
  return key && { key, issuer: values.CUSTOMER_TOKEN_ISSUER, audience: values.CUSTOMER_TOKEN_AUDIENCE };
}

function validCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}

/** TRUST_PROXY: how many reverse proxies stand in front of the server, or their addresses; false: none. */
export type TrustProxy = false | { hops: number } | { subnets: Array<{ address: string; prefix: number; family: 'ipv4' | 'ipv6' }> };

function parseTrustProxy(value: string, context: z.RefinementCtx): TrustProxy {
  const setting = value.trim().toLowerCase();
  if (setting === 'off' || setting === 'false' || setting === '0') return false;
  if (/^\d+$/.test(setting)) return { hops: Number(setting) };
  const subnets = [];
  for (const entry of setting.split(',').map((item) => item.trim()).filter(Boolean)) {
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const length = prefix === undefined ? bits : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (family === 0 || length < 0 || length > bits) {
      context.addIssue({ code: 'custom', message: 'must be "off", the number of proxies in front (1), or their comma-separated addresses or subnets (10.0.0.0/8, ::1)' });
      return z.NEVER;
    }
    subnets.push({ address, prefix: length, family: family === 4 ? ('ipv4' as const) : ('ipv6' as const) });
  }
  return { subnets };
}

/** An action's webhook: over TLS, unless it is on this host. */
/** Secrets and customer data travel to this URL: TLS, except on this machine (the reference shop, tests). */
function isHttpsOrLoopback(value: string): boolean {
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
}

const actionDefinitionSchema = z.object({
  url: z.url({ error: 'must be a URL (set url in ACTIONS_CONFIG or ACTION_<NAME>_URL)' }).refine(isHttpsOrLoopback, 'must be an https:// URL (http:// only on a loopback host)'),
  secret: z.string({ error: 'missing (set secret in ACTIONS_CONFIG or ACTION_<NAME>_SECRET)' }).min(32, 'must be at least 32 characters'),
  idempotent: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(60_000).default(DEFAULT_ACTION_TIMEOUT_MS),
  retries: z.number().int().min(0).max(5).default(DEFAULT_ACTION_RETRIES),
}).strict();

/** ACTIONS_CONFIG: a YAML or JSON file, `{ actions: { <name>: { url, secret, idempotent, timeoutMs, retries } }, breaker? }`. */
const actionsFileSchema = z.object({
  actions: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
  breaker: z.object({
    errorThresholdPercentage: z.number().gt(0).max(100),
    volumeThreshold: z.number().int().min(1),
    resetTimeoutMs: z.number().int().min(100),
    windowMs: z.number().int().min(1_000),
  }).partial().strict().default({}),
}).strict();

/**
 * The actions' webhooks, from the ACTIONS_CONFIG file and ACTION_<NAME>_URL / ACTION_<NAME>_SECRET
 * (which win, so that a secret can stay out of the file). Never from the catalogue.
 */
function actionSettings(env: Record<string, string | undefined>): { actions: Record<string, ActionDefinition>; breaker: BreakerSettings; problems: string[] } {
  const problems: string[] = [];
  let file: z.infer<typeof actionsFileSchema> = { actions: {}, breaker: {} };
  if (env.ACTIONS_CONFIG) {
    try {
      const parsed = actionsFileSchema.safeParse(parseYaml(readFileSync(env.ACTIONS_CONFIG, 'utf8')) ?? {});
      if (parsed.success) file = parsed.data;
      else problems.push(...parsed.error.issues.map((issue) => `ACTIONS_CONFIG ${env.ACTIONS_CONFIG}: ${issue.path.join('.')}: ${issue.message}`));
    } catch (error) {
      problems.push(`ACTIONS_CONFIG: cannot read ${env.ACTIONS_CONFIG}: ${(error as Error).message}`);
    }
  }
  const entries = new Map(Object.entries(file.actions));
  for (const [key, value] of Object.entries(env)) {
    const [, name, field] = /^ACTION_([A-Z0-9_]+)_(URL|SECRET)$/.exec(key) ?? [];
    if (name && field) entries.set(name.toLowerCase(), { ...entries.get(name.toLowerCase()), [field.toLowerCase()]: value });
  }
  const actions: Record<string, ActionDefinition> = {};
  for (const [name, entry] of entries) {
    if (!identifierSchema.safeParse(name).success) {
      problems.push(`action "${name}": the name must be lower snake case (a-z, 0-9, _)`);
      continue;
    }
    const parsed = actionDefinitionSchema.safeParse(entry);
    if (parsed.success) actions[name] = parsed.data;
    else problems.push(...parsed.error.issues.map((issue) => `action "${name}": ${[...issue.path, issue.message].join(': ')}`));
  }
  return { actions, breaker: { ...DEFAULT_BREAKER_SETTINGS, ...file.breaker }, problems };
}

export type Config = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  allowedOrigins: string[] | undefined;
  intentsDir: string;
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  secretKey: string | undefined;
  maxMessageChars: number;
  attachmentMaxBytes: number;
  messagesPerSecond: number;
  messageBurst: number;
  shutdownGraceMs: number;
  scaleOut: 'postgres' | 'off' | undefined;
  databasePoolSize: number;
  databaseTimeoutMs: number;
  retrainSchedule: string | null;
  promotionMargin: number;
  trustProxy: TrustProxy;
  metricsToken: string | undefined;
  visitorTokenTtlDays: number;
  /** RETENTION_DAYS; null: conversations are kept. */
  retentionDays: number | null;
  clarificationsBeforeHandoff: number;
  suggestions: number;
  retrievalTargetPrecision: number;
  /** Action name → its webhook (ACTIONS_CONFIG, ACTION_<NAME>_URL / _SECRET). */
  actions: Record<string, ActionDefinition>;
  actionBreaker: BreakerSettings;
  /** Serve the reference shop and answer the actions not configured with it. */
  referenceShop: boolean;
  /** Null: no customer tokens are accepted. */
  customerTokens: CustomerTokenSettings | null;
  /** BUSINESS_HOURS; null: the desk is within hours at all times. */
  businessHours: BusinessHours | null;
  /** HANDOFF_WAIT_OFFLINE_MS; null: off. */
  handoffWaitOfflineMs: number | null;
  /** SMTP_URL and SMTP_FROM; null: agents' replies are not e-mailed. */
  smtp: SmtpSettings | null;
};

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

/** Reads and validates the configuration from environment variables; every problem is reported at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = environmentSchema.safeParse(present);
  const actions = actionSettings(present);
  if (!parsed.success || actions.problems.length > 0) {
    throw new ConfigError([
      ...(parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(present[String(issue.path[0])])})`),
      ...actions.problems,
    ]);
  }
  const values = parsed.data;
  return {
    port: values.PORT,
    host: values.HOST,
    dataDir: resolve(values.DATA_DIR),
    databaseUrl: values.DATABASE_URL,
    allowedOrigins: values.ALLOWED_ORIGINS,
    intentsDir: resolve(values.INTENTS_DIR),
    logLevel: values.LOG_LEVEL,
    secretKey: values.SECRET_KEY,
    maxMessageChars: values.MAX_MESSAGE_CHARS,
    attachmentMaxBytes: values.ATTACHMENT_MAX_BYTES,
    messagesPerSecond: values.MESSAGES_PER_SECOND,
    messageBurst: values.MESSAGE_BURST,
    shutdownGraceMs: values.SHUTDOWN_GRACE_MS,
    scaleOut: values.SCALE_OUT,
    databasePoolSize: values.DATABASE_POOL_SIZE,
    databaseTimeoutMs: values.DATABASE_TIMEOUT_MS,
    retrainSchedule: values.RETRAIN_SCHEDULE === 'off' ? null : values.RETRAIN_SCHEDULE,
    promotionMargin: values.PROMOTION_MARGIN,
    trustProxy: values.TRUST_PROXY ?? false,
    metricsToken: values.METRICS_TOKEN,
    visitorTokenTtlDays: values.VISITOR_TOKEN_TTL_DAYS,
    retentionDays: values.RETENTION_DAYS === undefined || values.RETENTION_DAYS === 'off' ? null : values.RETENTION_DAYS,
    clarificationsBeforeHandoff: values.CLARIFICATIONS_BEFORE_HANDOFF,
    suggestions: values.SUGGESTIONS,
    retrievalTargetPrecision: values.RETRIEVAL_TARGET_PRECISION,
    actions: actions.actions,
    actionBreaker: actions.breaker,
    referenceShop: values.REFERENCE_SHOP === undefined ? values.DATABASE_URL === undefined : values.REFERENCE_SHOP === 'on',
    customerTokens: customerTokenSettings(values),
    businessHours: values.BUSINESS_HOURS ?? null,
    handoffWaitOfflineMs: values.HANDOFF_WAIT_OFFLINE_MS === 'off' ? null : values.HANDOFF_WAIT_OFFLINE_MS,
    smtp: values.SMTP_URL && values.SMTP_FROM ? { url: values.SMTP_URL, from: values.SMTP_FROM } : null,
  };
}
