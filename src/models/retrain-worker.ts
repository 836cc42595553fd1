// Worker-thread entry of a retraining: trains the candidate and runs the promotion gate off the
// request path, so that the server's event loop keeps answering visitors while it works. The
// parent (src/models/retrain.ts) does every database write.
import { parentPort, workerData } from 'node:worker_threads';
import { trainModel, type TrainProgress, type TrainResult } from '../fitting/train-builtin.ts';
import { runGate, type GateReport } from '../evaluation/gate.ts';
import type { LabelledExample } from '../nlu/types.ts';

export interface RetrainJob {
  name: string;
  outDir: string;
  seed: number;
  train: LabelledExample[];
  unlabelled: string[];
  gate: {
    active: { name: string; artifactPath: string } | null;
    frozen: LabelledExample[];
    recent: LabelledExample[];
    margin: number;
  } | null;
}

/** Training's own progress, then the promotion gate. */
export type RetrainProgress = TrainProgress | { phase: 'gate' };

export type RetrainWorkerMessage =
  | { type: 'progress'; progress: RetrainProgress }
  | { type: 'done'; metrics: TrainResult['metrics']; thresholds: { temperature: number; threshold: number }; seconds: number; report: GateReport | null }
  | { type: 'error'; message: string; stack?: string };

async function run(job: RetrainJob): Promise<void> {
  const post = (message: RetrainWorkerMessage) => parentPort!.postMessage(message);
  const started = performance.now();
  const result = await trainModel(job.train, {
    outDir: job.outDir,
    seed: job.seed,
    unlabelled: job.unlabelled,
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  const seconds = (performance.now() - started) / 1000;
  post({ type: 'progress', progress: { phase: 'gate' } });
  const report = job.gate
    ? await runGate({ candidate: { name: job.name, artifactPath: job.outDir }, active: job.gate.active, frozen: job.gate.frozen, recent: job.gate.recent, margin: job.gate.margin })
    : null;
  post({ type: 'done', metrics: JSON.parse(JSON.stringify(result.metrics)), thresholds: result.thresholds, seconds, report });
}

if (parentPort) {
  run(workerData as RetrainJob).catch((error: unknown) => {
    parentPort!.postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error), ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) } satisfies RetrainWorkerMessage);
  });
}
