// One turn of the learning loop: assemble the training and evaluation sets from Postgres, train a
// candidate in a worker thread, run the promotion gate against the active version, then register
// the candidate and promote it (every server switches through LISTEN/NOTIFY) or keep it as
// `rejected` with its report. A Postgres advisory lock makes it one retraining at a time across
// every process on the database.
import { Worker } from 'node:worker_threads';
import { withAdvisoryLock } from '../store/advisory-lock.ts';
import type { Catalogue } from '../catalogue/index.ts';
import type { LabelledExample } from '../nlu/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { guarded } from '../store/errors.ts';
import type { AuditActor } from '../store/audit-store.ts';
import { labelsChangedSince } from '../store/training-store.ts';
import { DEFAULT_PROMOTION_MARGIN, type GateReport } from '../evaluation/gate.ts';
import { learningSets, type LearningSetOptions, type LearningSets } from '../corpus/retraining-sets.ts';
import type { ModelRegistry, ModelVersion } from './registry.ts';
import { modelDir, ModelFiles } from './model-files.ts';
import type { RetrainJob, RetrainProgress, RetrainWorkerMessage } from './retrain-worker.ts';
import { knowledgeTexts } from '../corpus/training-set.ts';

const RETRAIN_LOCK_KEY = 7_404_120_114;

export class RetrainBusyError extends Error {
  readonly code = 'RETRAIN_BUSY';
  constructor() {
    super('another retraining is running on this database');
  }
}

export type { RetrainProgress };

export interface RetrainOptions {
  prisma: PrismaClient;
  databaseUrl: string;
  registry: ModelRegistry;
  catalogue: Catalogue;
  /** The knowledge documents as the catalogue keeps them: the model learns their words for retrieval. */
  knowledgeDocuments: ReadonlyArray<{ file: string; text: string }>;
  dataDir: string;
  logger: Logger;
  margin?: number;
  seed?: number;
  /** false: register the candidate and its report without promoting or rejecting it. */
  gate?: boolean;
  /** What started it (schedule, cli, bench), kept in the report. */
  trigger?: string;
  /** Changes the training examples (the benchmark trains a deliberately corrupted candidate this way). */
  transformTraining?: (examples: LabelledExample[]) => LabelledExample[];
  sets?: LearningSetOptions;
  onProgress?: (progress: RetrainProgress) => void;
  /** Name prefix of the version (default builtin). */
  namePrefix?: string;
  /** Aborting stops the worker; nothing is registered. */
  signal?: AbortSignal;
}

export interface RetrainResult {
  version: ModelVersion;
  report: GateReport | null;
  promoted: boolean;
  examples: number;
  stats: LearningSets['stats'];
  trainSeconds: number;
}

/** Trains (and gates) in a worker thread; resolves with what the worker reports. */
export function runRetrainJob(job: RetrainJob, onProgress?: (progress: RetrainProgress) => void, signal?: AbortSignal): Promise<Extract<RetrainWorkerMessage, { type: 'done' }>> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('retraining aborted'));
    // The entry registers the TypeScript loader in the worker, whichever way this process got it.
    const worker = new Worker(new URL('./retrain-worker-entry.mjs', import.meta.url), { workerData: job });
    let settled = false;
    signal?.addEventListener('abort', () => {
      if (settled) return;
      settled = true;
      reject(new Error('retraining aborted'));
      void worker.terminate();
    }, { once: true });
    worker.on('message', (message: RetrainWorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.progress);
      else if (message.type === 'done') {
        settled = true;
        resolve(message);
        void worker.terminate();
      } else {
        settled = true;
        reject(Object.assign(new Error(`retraining failed: ${message.message}`), { workerStack: message.stack }));
        void worker.terminate();
      }
    });
    worker.once('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the retraining worker exited with code ${code}`));
      settled = true;
    });
  });
}

/** Holds the cluster-wide retraining lock for the duration of `run`; RetrainBusyError when it is taken. */
export async function withRetrainLock<T>(databaseUrl: string, run: () => Promise<T>): Promise<T> {
  const outcome = await withAdvisoryLock(databaseUrl, RETRAIN_LOCK_KEY, run);
  if (!outcome.locked) throw new RetrainBusyError();
  return outcome.value;
}

function versionName(prefix: string): string {
  return `${prefix}-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 17)}-${Math.random().toString(36).slice(2, 6)}`;
}

export async function retrain(options: RetrainOptions): Promise<RetrainResult> {
  return withRetrainLock(options.databaseUrl, async () => {
    const { prisma, registry, logger } = options;
    const sets = await learningSets(prisma, options.catalogue, options.sets);
    const train = options.transformTraining ? options.transformTraining(sets.train) : sets.train;
    const active = await registry.active();
    const name = versionName(options.namePrefix ?? 'builtin');
    const outDir = modelDir(options.dataDir, name);
    const unlabelled = await knowledgeTexts(options.knowledgeDocuments);
    const margin = options.margin ?? DEFAULT_PROMOTION_MARGIN;
    const gate = options.gate ?? true;
    logger.info({ model: name, examples: train.length, frozen: sets.frozen.length, recent: sets.recent.length, trigger: options.trigger }, 'retraining the intent model');
    const done = await runRetrainJob(
      {
        name,
        outDir,
        seed: options.seed ?? 1,
        train,
        unlabelled,
        gate: {
          // The active version may have been trained elsewhere: the gate reads this machine's copy.
          active: active ? { name: active.name, artifactPath: await new ModelFiles(registry.artifacts, options.dataDir, logger).localDir(active) } : null,
          frozen: sets.frozen, recent: sets.recent, margin,
        },
      },
      options.onProgress,
      options.signal,
    );
    const report = done.report;
    const fullReport = JSON.parse(JSON.stringify({ gate: report, trigger: options.trigger ?? 'manual', training: { examples: train.length, seconds: done.seconds, ...sets.stats } }));
    const rejected = gate && report?.decision === 'reject';
    let version = await registry.register(
      { name, encoder: 'builtin', artifactDir: outDir, metrics: JSON.parse(JSON.stringify(done.metrics)), thresholds: done.thresholds, report: fullReport },
      rejected ? 'rejected' : 'candidate',
    );
    let promoted = false;
    if (gate && report?.decision === 'promote') {
      version = await registry.promote(version.id, { actor: { kind: 'system', name: `retraining (${options.trigger ?? 'manual'})` } });
      promoted = true;
    }
    logger.info({ model: name, decision: gate ? report?.decision : 'not gated', reasons: report?.reasons }, 'retraining finished');
    return { version, report, promoted, examples: train.length, stats: sets.stats, trainSeconds: done.seconds };
  });
}

/** Whether any label changed, or a conversation was reviewed, after the newest model version was made. */
export async function hasNewLabels(prisma: PrismaClient): Promise<boolean> {
  return guarded(async () => {
    const newest = await prisma.modelVersion.findFirst({ orderBy: { createdAt: 'desc' }, select: { createdAt: true } });
    if (!newest) return true;
    return labelsChangedSince(prisma, newest.createdAt);
  });
}

/**
 * Rolls back to the version that was active before the current one: the current one is kept as
 * `rejected` (with the rollback in its report) so that a second rollback goes one further back.
 */
export async function rollback(prisma: PrismaClient, registry: ModelRegistry, actor?: AuditActor): Promise<{ from: ModelVersion; to: ModelVersion }> {
  const current = await registry.active();
  if (!current) throw new Error('no active version to roll back from');
  const previous = await guarded(() =>
    prisma.modelVersion.findFirst({ where: { status: 'retired', promotedAt: { not: null }, id: { not: current.id } }, orderBy: { promotedAt: 'desc' } }),
  );
  if (!previous) throw new Error('no earlier active version to roll back to');
  const to = await registry.promote(previous.id, { ...(actor ? { actor } : {}), action: 'model.rollback' });
  const report = { ...((current.report as Record<string, unknown> | null) ?? {}), rolledBack: { at: new Date().toISOString(), to: to.name } };
  const from = await guarded(() => prisma.modelVersion.update({ where: { id: current.id }, data: { status: 'rejected', report } }));
  return { from, to };
}
