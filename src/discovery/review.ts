// Reviewing discovered intents: a discovery run over the conversations in Postgres (in a worker
// thread), kept in Postgres (src/store/discovery-store.ts) so that every server process lists and
// reviews it, and a reviewer's decisions on its clusters: accept one as a new intent (name, label,
// examples and answer edited; saved as the catalogue document <name>.yaml through the loader's
// checks, so that every process serves it, the cluster's messages labelled with it and a gated
// retraining started), add one to an existing intent (its messages labelled), merge two, split one,
// move examples between them, mark one as noise. Texts kept in the run are redacted.
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import type { Catalogue } from '../catalogue/index.ts';
import { CatalogueError, formatProblem, INTENT_NAME_PATTERN } from '../catalogue/index.ts';
import { RevisionConflictError, type LiveCatalogue } from '../catalogue/live.ts';
import { redact } from '../corpus/redact.ts';
import { normalizedKey } from '../corpus/training-set.ts';
import type { Logger } from '../observability/logger.ts';
import { DiscoveryRunStore, labelDiscoveredMessages, type DiscoveryRunDocument, type StoredDiscoveryRun } from '../store/discovery-store.ts';
import type { PrismaClient } from '../store/prisma.ts';
import { discoverIntents, type CandidateIntent, type DiscoveryOptions, type DiscoveryProgress, type DiscoveryResult } from './discover.ts';
import type { DiscoverJob, DiscoverWorkerMessage } from './discover-worker.ts';
import { intentYaml } from './intent-file.ts';
import type { MinedAnswer } from './describe.ts';
import type { DiscoveryRequest } from './requests.ts';
import { requestsFromDatabase } from './source.ts';

export type ClusterStatus = 'open' | 'accepted' | 'added' | 'noise' | 'merged' | 'split';

export interface ReviewCluster extends Omit<CandidateIntent, 'id'> {
  id: string;
  status: ClusterStatus;
  /** What became of it: the intent it was accepted as or added to, the cluster it was merged into or split into, and the retraining it started. */
  resolution?: {
    intent?: string;
    into?: string[];
    by: string | null;
    at: string;
    labelled?: number;
    retraining?: RetrainingState;
  };
}

export interface RetrainingState {
  status: 'running' | 'promoted' | 'rejected' | 'failed';
  version?: string;
  reasons?: string[];
  error?: string;
}

export interface DiscoveryRun {
  id: string;
  status: 'running' | 'done' | 'failed';
  createdAt: string;
  /** The admin who started it. */
  createdBy: string;
  finishedAt?: string;
  options: RunOptions;
  progress?: DiscoveryProgress;
  error?: string;
  requests?: number;
  distinctTexts?: number;
  k?: number;
  kChosen?: 'given' | 'auto';
  seconds?: number;
  clusters: ReviewCluster[];
  longTail: DiscoveryResult['longTail'];
  longTailSize?: number;
  /** Redacted text of every request, by id (for splitting and moving). */
  texts: Record<string, string>;
}

export interface RunOptions {
  k?: number;
  granularity?: number;
  seed?: number;
  limit?: number;
  languages?: string[];
}

export class ReviewError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID_PAYLOAD' | 'CONFLICT',
    message: string,
  ) {
    super(message);
    this.name = 'ReviewError';
  }
}

export interface DiscoveryReviewOptions {
  prisma: PrismaClient;
  logger: Logger;
  catalogue: () => Catalogue;
  /** Where an accepted intent is saved (src/catalogue/live.ts): validated, kept with its history, served by every process. */
  editor: Pick<LiveCatalogue, 'save'>;
  /** One gated retraining turn (src/models/retrain.ts) with the current catalogue. */
  retrain: () => Promise<{ promoted: boolean; version: string; decision?: string | undefined; reasons?: string[] | undefined }>;
}

/** A reviewer, as the audit log and the run name them. */
export interface Reviewer {
  id: string | null;
  name: string;
}

export interface AcceptInput {
  name: string;
  label: string;
  examples: string[];
  answer: string;
  description?: string | undefined;
}

/** Examples an accepted cluster keeps in the intent file (the rest of its requests are labels). */
const MAX_FILE_EXAMPLES = 40;

/** How often the process running a run writes its progress and a sign of life. */
const HEARTBEAT_MS = 2_000;
/** A run whose process has not beaten for this long is marked failed by the next process that reads it: that process stopped. */
const STALE_RUN_MS = 60_000;
const STOPPED = 'the server running it stopped during the run';

/** The columns and the document of a stored run, as one run. */
function runOf(row: StoredDiscoveryRun): DiscoveryRun {
  return { ...(row.document as unknown as DiscoveryRun), id: row.id, status: row.status, createdAt: row.createdAt.toISOString(), createdBy: row.createdBy };
}

/** A run less its columns: what the store keeps as the document. */
function documentOf(run: DiscoveryRun): DiscoveryRunDocument {
  const { id: _id, status: _status, createdAt: _createdAt, createdBy: _createdBy, ...document } = run;
  return document as unknown as DiscoveryRunDocument;
}

export class DiscoveryReview {
  private readonly store: DiscoveryRunStore;
  /** This process, as the owner of the runs it is running. */
  private readonly owner = randomUUID();
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly workers = new Set<Worker>();
  /** Runs in progress and retrainings started here, waited for on close. */
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly options: DiscoveryReviewOptions) {
    this.store = new DiscoveryRunStore(options.prisma);
  }

  /** Runs `work` after every earlier change of the same run in this process (each holds a connection while it waits for the run's row). */
  private serialize<T>(runId: string, work: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(runId) ?? Promise.resolve();
    const next = previous.catch(() => {}).then(work);
    this.locks.set(runId, next);
    return next;
  }

  /** Applies `decide` to the run as stored, under its row lock, and stores the result (nothing when it throws). */
  private change<T>(runId: string, decide: (run: DiscoveryRun) => Promise<T>): Promise<T> {
    return this.serialize(runId, () =>
      this.store.change(runId, async (row) => {
        if (!row) throw new ReviewError('NOT_FOUND', 'No such discovery run.');
        const run = runOf(row);
        const value = await decide(run);
        return { document: documentOf(run), value };
      }),
    );
  }

  async list(): Promise<Array<Omit<DiscoveryRun, 'clusters' | 'texts' | 'longTail'> & { clusters: number; open: number }>> {
    await this.store.failAbandoned(STALE_RUN_MS, STOPPED);
    return (await this.store.list()).map((row) => ({ ...runOf(row), clusters: row.clusters, open: row.open }));
  }

  async get(id: string): Promise<Omit<DiscoveryRun, 'texts'>> {
    await this.store.failAbandoned(STALE_RUN_MS, STOPPED);
    const row = await this.store.get(id, { texts: false });
    if (!row) throw new ReviewError('NOT_FOUND', 'No such discovery run.');
    return runOf(row);
  }

  private cluster(run: DiscoveryRun, id: string, open = true): ReviewCluster {
    const cluster = run.clusters.find((candidate) => candidate.id === id);
    if (!cluster) throw new ReviewError('NOT_FOUND', 'No such cluster in this run.');
    if (open && cluster.status !== 'open') throw new ReviewError('CONFLICT', `The cluster was already ${cluster.status}.`);
    return cluster;
  }

  /** Starts a discovery run over the conversations in Postgres; resolves once it is stored (it runs on in a worker, its progress stored as it beats). */
  async start(options: RunOptions, createdBy: string): Promise<DiscoveryRun> {
    const document: Pick<DiscoveryRun, 'options' | 'clusters' | 'longTail' | 'texts'> = { options, clusters: [], longTail: [], texts: {} };
    const run = runOf(await this.store.create({ id: randomUUID(), createdBy, owner: this.owner, document: document as unknown as DiscoveryRunDocument }));
    const heartbeat = setInterval(() => {
      this.store.heartbeat(run.id, this.owner, run.progress).catch((error: unknown) => this.options.logger.warn({ err: error, run: run.id }, 'a discovery run could not report its progress'));
    }, HEARTBEAT_MS);
    const done = this.execute(run)
      .catch((error: unknown) => {
        Object.assign(run, { status: 'failed', error: this.closed ? STOPPED : (error as Error).message, finishedAt: new Date().toISOString() });
        this.options.logger.error({ err: error, run: run.id }, 'intent discovery failed');
      })
      .finally(() => clearInterval(heartbeat))
      .then(async () => {
        if (!(await this.store.finish(run.id, this.owner, run.status === 'done' ? 'done' : 'failed', documentOf(run)))) {
          this.options.logger.warn({ run: run.id }, 'a discovery run finished after it was declared failed (no sign of life for too long): its result was dropped');
        }
      })
      .catch((error: unknown) => this.options.logger.error({ err: error, run: run.id }, 'a finished discovery run could not be stored'))
      .finally(() => this.pending.delete(done));
    this.pending.add(done);
    return run;
  }

  private async execute(run: DiscoveryRun): Promise<void> {
    const { options } = run;
    const requests = await requestsFromDatabase(this.options.prisma, {
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.languages?.length ? { languages: options.languages } : {}),
    });
    const catalogue = this.options.catalogue();
    const job: DiscoverJob = {
      requests,
      options: {
        ...(options.k ? { k: options.k } : {}),
        ...(options.granularity ? { granularity: options.granularity } : {}),
        seed: options.seed ?? 1,
        catalogue: catalogue.intents.map((intent) => ({ name: intent.name, label: intent.label, examples: intent.examples })),
      },
    };
    const result = await this.inWorker(job, (progress) => (run.progress = progress));
    applyResult(run, result, requests);
  }

  private inWorker(job: DiscoverJob, onProgress: (progress: DiscoveryProgress) => void): Promise<Omit<DiscoveryResult, 'assignments' | 'clusterOf'>> {
    if (this.closed) return Promise.reject(new Error('closed'));
    return new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./discover-worker-entry.mjs', import.meta.url), { workerData: job });
      this.workers.add(worker);
      let settled = false;
      worker.on('message', (message: DiscoverWorkerMessage) => {
        if (message.type === 'progress') onProgress(message.progress);
        else {
          settled = true;
          if (message.type === 'done') resolve(message.result);
          else reject(new Error(message.message));
          void worker.terminate();
        }
      });
      worker.once('error', (error) => {
        if (!settled) reject(error);
        settled = true;
      });
      worker.once('exit', (code) => {
        this.workers.delete(worker);
        if (!settled) reject(new Error(`the discovery worker exited with code ${code}`));
        settled = true;
      });
    });
  }

  /** Accepts a cluster as a new catalogue intent, labels its messages and starts a gated retraining. */
  accept(runId: string, clusterId: string, input: AcceptInput, reviewer: Reviewer): Promise<ReviewCluster> {
    return this.change(runId, async (run) => {
      const cluster = this.cluster(run, clusterId);
      const name = input.name.trim();
      if (!INTENT_NAME_PATTERN.test(name)) throw new ReviewError('INVALID_PAYLOAD', 'The name must be snake_case: a-z, 0-9 and single underscores, starting with a letter.');
      if (this.options.catalogue().get(name)) throw new ReviewError('CONFLICT', `The catalogue already has an intent named ${name}: add the cluster to it instead.`);
      const examples = input.examples.map((example) => redact(example).trim()).filter(Boolean).slice(0, MAX_FILE_EXAMPLES);
      const text = intentYaml({ name, label: input.label, examples, answer: input.answer, ...(input.description ? { description: input.description } : {}) });
      try {
        await this.options.editor.save(`${name}.yaml`, text, 0, reviewer.id ? { kind: 'agent', id: reviewer.id, name: reviewer.name } : { kind: 'system', name: reviewer.name });
      } catch (error) {
        if (error instanceof CatalogueError) throw new ReviewError('INVALID_PAYLOAD', `the intent does not pass the catalogue's checks: ${error.problems.map(formatProblem).join('; ')}`);
        if (error instanceof RevisionConflictError) throw new ReviewError('CONFLICT', `The catalogue already has a document ${name}.yaml (perhaps retired): choose another name.`);
        throw error;
      }
      const labelled = await labelDiscoveredMessages(this.options.prisma, cluster.requestIds, name, reviewer.id);
      cluster.status = 'accepted';
      cluster.resolution = { intent: name, by: reviewer.name, at: new Date().toISOString(), labelled };
      this.options.logger.info({ run: run.id, cluster: cluster.id, intent: name, labelled }, 'discovered cluster accepted as a new intent');
      this.startRetraining(run, cluster);
      return cluster;
    });
  }

  /** Labels a cluster's messages with an existing intent and starts a gated retraining. */
  addToIntent(runId: string, clusterId: string, intent: string, reviewer: Reviewer): Promise<ReviewCluster> {
    return this.change(runId, async (run) => {
      const cluster = this.cluster(run, clusterId);
      if (!this.options.catalogue().get(intent)) throw new ReviewError('INVALID_PAYLOAD', `The catalogue has no intent named ${intent}.`);
      const labelled = await labelDiscoveredMessages(this.options.prisma, cluster.requestIds, intent, reviewer.id);
      cluster.status = 'added';
      cluster.resolution = { intent, by: reviewer.name, at: new Date().toISOString(), labelled };
      this.startRetraining(run, cluster);
      return cluster;
    });
  }

  markNoise(runId: string, clusterId: string, reviewer: Reviewer): Promise<ReviewCluster> {
    return this.change(runId, async (run) => {
      const cluster = this.cluster(run, clusterId);
      cluster.status = 'noise';
      cluster.resolution = { by: reviewer.name, at: new Date().toISOString() };
      return cluster;
    });
  }

  /** Merges open clusters into a new one (the first one's name and label). */
  merge(runId: string, clusterIds: string[], reviewer: Reviewer): Promise<ReviewCluster> {
    return this.change(runId, async (run) => {
      if (new Set(clusterIds).size < 2) throw new ReviewError('INVALID_PAYLOAD', 'Merging needs two or more different clusters.');
      const parts = clusterIds.map((id) => this.cluster(run, id));
      const merged = combine(parts, nextId(run));
      run.clusters.push(merged);
      for (const part of parts) {
        part.status = 'merged';
        part.resolution = { into: [merged.id], by: reviewer.name, at: new Date().toISOString() };
      }
      return merged;
    });
  }

  /** Splits an open cluster in `parts` by clustering its requests again. */
  split(runId: string, clusterId: string, parts: number, reviewer: Reviewer): Promise<ReviewCluster[]> {
    return this.change(runId, async (run) => {
      const cluster = this.cluster(run, clusterId);
      const requests: DiscoveryRequest[] = cluster.requestIds.map((id) => ({ id, conversationId: id, text: run.texts[id] ?? '', language: null, replies: [], context: [], first: true }));
      if (requests.length < parts * 2) throw new ReviewError('INVALID_PAYLOAD', `The cluster has too few requests to split in ${parts}.`);
      const result = discoverIntents(requests, { k: parts, seed: run.options.seed ?? 1, method: 'lsa', useContext: false, minClusterSize: 1, tailSimilarity: -1 });
      const pieces = result.candidates.map((candidate) => ({ ...candidate, id: nextId(run, result.candidates.indexOf(candidate)), status: 'open' as const, answers: cluster.answers, overlaps: cluster.overlaps, languages: cluster.languages }));
      run.clusters.push(...pieces);
      cluster.status = 'split';
      cluster.resolution = { into: pieces.map((piece) => piece.id), by: reviewer.name, at: new Date().toISOString() };
      return pieces;
    });
  }

  /** Moves examples (and the requests with the same text) from one open cluster to another. */
  move(runId: string, from: string, to: string, examples: string[]): Promise<ReviewCluster[]> {
    return this.change(runId, async (run) => {
      const source = this.cluster(run, from);
      const target = this.cluster(run, to);
      if (source === target) throw new ReviewError('INVALID_PAYLOAD', 'Pick two different clusters.');
      const keys = new Set(examples.map((example) => normalizedKey(example)));
      const moving = source.requestIds.filter((id) => keys.has(normalizedKey(run.texts[id] ?? '')));
      const movedExamples = source.examples.filter((example) => keys.has(normalizedKey(example)));
      if (moving.length === 0 && movedExamples.length === 0) throw new ReviewError('INVALID_PAYLOAD', 'None of these examples is in the cluster.');
      const movingSet = new Set(moving);
      source.requestIds = source.requestIds.filter((id) => !movingSet.has(id));
      source.examples = source.examples.filter((example) => !keys.has(normalizedKey(example)));
      source.size = Math.max(0, source.size - moving.length);
      target.requestIds.push(...moving);
      target.examples.push(...movedExamples.filter((example) => !target.examples.some((kept) => normalizedKey(kept) === normalizedKey(example))));
      target.size += moving.length;
      return [source, target];
    });
  }

  private startRetraining(run: DiscoveryRun, cluster: ReviewCluster): void {
    cluster.resolution!.retraining = { status: 'running' };
    const turn = this.options
      .retrain()
      .then(
        (result): RetrainingState => ({ status: result.promoted ? 'promoted' : 'rejected', version: result.version, ...(result.reasons ? { reasons: result.reasons } : {}) }),
        (error: unknown): RetrainingState => {
          this.options.logger.error({ err: error, run: run.id, cluster: cluster.id }, 'retraining after a discovery decision failed');
          return { status: 'failed', error: (error as Error).message };
        },
      )
      .then((retraining) =>
        this.change(run.id, async (stored) => {
          this.cluster(stored, cluster.id, false).resolution!.retraining = retraining;
        }),
      )
      .catch((error: unknown) => this.options.logger.error({ err: error, run: run.id, cluster: cluster.id }, 'the outcome of a retraining could not be stored in its discovery run'))
      .finally(() => this.pending.delete(turn));
    this.pending.add(turn);
  }

  /** Stops running workers (their runs end failed); waits for the runs and retrainings this review started. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.workers].map((worker) => worker.terminate()));
    await Promise.allSettled([...this.pending]);
  }
}

function nextId(run: DiscoveryRun, offset = 0): string {
  return `c${run.clusters.length + offset + 1}`;
}

function combine(parts: readonly ReviewCluster[], id: string): ReviewCluster {
  const first = parts[0]!;
  const examples: string[] = [];
  const longest = Math.max(...parts.map((part) => part.examples.length));
  for (let i = 0; i < longest; i++) for (const part of parts) if (part.examples[i] !== undefined && !examples.includes(part.examples[i]!)) examples.push(part.examples[i]!);
  const answers: MinedAnswer[] = parts.flatMap((part) => part.answers).sort((a, b) => b.support - a.support).slice(0, 3);
  const size = parts.reduce((sum, part) => sum + part.size, 0);
  return {
    ...first,
    id,
    status: 'open',
    keywords: [...new Set(parts.flatMap((part) => part.keywords))].slice(0, 8),
    size,
    cohesion: Number((parts.reduce((sum, part) => sum + part.cohesion * part.size, 0) / Math.max(1, size)).toFixed(3)),
    examples,
    requestIds: parts.flatMap((part) => part.requestIds),
    answers,
    overlaps: first.overlaps,
    languages: [...new Set(parts.flatMap((part) => part.languages))],
  };
}

/** A finished discovery as a run's clusters, long tail and redacted request texts. */
export function applyResult(run: DiscoveryRun, result: Omit<DiscoveryResult, 'assignments' | 'clusterOf'>, requests: readonly DiscoveryRequest[]): void {
  run.status = 'done';
  run.finishedAt = new Date().toISOString();
  run.requests = result.requests;
  run.distinctTexts = result.distinctTexts;
  run.k = result.k;
  run.kChosen = result.kChosen;
  run.seconds = Number(result.seconds.toFixed(2));
  run.clusters = result.candidates.map((candidate) => ({ ...candidate, id: `c${candidate.id + 1}`, status: 'open' }));
  run.longTail = result.longTail;
  run.longTailSize = result.longTailSize;
  run.texts = Object.fromEntries(requests.map((request) => [request.id, redact(request.text)]));
}

export type { DiscoveryOptions };
