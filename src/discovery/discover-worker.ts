// Runs discoverIntents in a worker thread, so a server keeps answering visitors while thousands of
// requests are clustered; progress and the result are posted back.
import { parentPort, workerData } from 'node:worker_threads';
import { discoverIntents, type DiscoveryOptions, type DiscoveryProgress, type DiscoveryResult } from './discover.ts';
import type { DiscoveryRequest } from './requests.ts';

export interface DiscoverJob {
  requests: DiscoveryRequest[];
  options: Omit<DiscoveryOptions, 'onProgress'>;
}

export type DiscoverWorkerMessage =
  | { type: 'progress'; progress: DiscoveryProgress }
  | { type: 'done'; result: Omit<DiscoveryResult, 'assignments' | 'clusterOf'> }
  | { type: 'error'; message: string };

const job = workerData as DiscoverJob;
try {
  let last = 0;
  const result = discoverIntents(job.requests, {
    ...job.options,
    onProgress: (progress) => {
      const now = Date.now();
      if (now - last < 200 && progress.done !== progress.total) return;
      last = now;
      parentPort!.postMessage({ type: 'progress', progress } satisfies DiscoverWorkerMessage);
    },
  });
  const { assignments: _assignments, clusterOf: _clusterOf, ...rest } = result;
  parentPort!.postMessage({ type: 'done', result: rest } satisfies DiscoverWorkerMessage);
} catch (error) {
  parentPort!.postMessage({ type: 'error', message: (error as Error).message } satisfies DiscoverWorkerMessage);
}
