// Serves a built-in model artifact with onnxruntime-node: featurize in TypeScript, run model.onnx
// on batches of concurrent messages, apply the stored threshold.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Logger } from '../observability/logger.ts';
import { readArtifact } from './artifact.ts';
import { MicroBatcher } from '../concurrency/micro-batcher.ts';
import { featurize, type SparseFeatures } from './featurizer.ts';
import { GRAPH_INPUTS, GRAPH_OUTPUTS } from './intent-graph.ts';
import { OUT_OF_SCOPE, type CommonModelMeta, type IntentModel, type IntentPrediction, type ModelRun } from './types.ts';

/** Preference order; CUDA is tried only where its libraries are installed (listed as available). */
export const EXECUTION_PROVIDER_PREFERENCE = ['cuda', 'webgpu', 'cpu'] as const;
export const DEFAULT_MAX_BATCH_SIZE = 64;
const RANKING_SIZE = 5;

export interface LoadModelOptions {
  /** Execution providers to try in order; default cuda, webgpu, cpu. */
  executionProviders?: readonly string[];
  maxBatchSize?: number;
  /** Called after every ONNX run, e.g. to record batch sizes in metrics. */
  onRun?: (run: ModelRun) => void;
  logger?: Logger;
}

/** What one model run gives for one message: calibrated class probabilities and the sentence vector. */
export interface RunOutput {
  probabilities: Float32Array;
  embedding: Float32Array;
}

/**
 * onnxruntime-node lists CUDA even when its provider library was never installed (the default
 * install skips the CUDA download); trying it then only prints an error. Look for the library.
 */
function cudaInstalled(): boolean {
  const require = createRequire(import.meta.url);
  const packageRoot = dirname(require.resolve('onnxruntime-node/package.json'));
  const bindingFolder = join(packageRoot, 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(bindingFolder, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
}

/**
 * On Linux, onnxruntime's WebGPU provider runs on Vulkan; without a Vulkan loader, trying it only
 * prints "Couldn't load Vulkan" on every start. Look for the loader where the dynamic linker would.
 */
function webGpuUsable(): boolean {
  if (process.platform !== 'linux') return true;
  const library = 'libvulkan.so.1';
  const searchPath = (process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (searchPath.some((dir) => existsSync(join(dir, library)))) return true;
  try {
    return readFileSync('/etc/ld.so.cache').includes(library);
  } catch {
    return false;
  }
}

/** An onnxruntime session on the first execution provider of `preference` that is installed and loads the model. */
export async function createSession(modelPath: string, preference: readonly string[], logger?: Logger): Promise<{ session: ort.InferenceSession; provider: string }> {
  const available = new Set(ort.listSupportedBackends().map((backend) => backend.name));
  if (!cudaInstalled()) available.delete('cuda');
  if (!webGpuUsable()) available.delete('webgpu');
  const failures: string[] = [];
  for (const provider of preference) {
    if (!available.has(provider)) continue;
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [provider],
        // The network is small: one thread per run keeps latency low and leaves cores to the server.
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
      logger?.info({ executionProvider: provider, skipped: failures }, 'intent model loaded');
      return { session, provider };
    } catch (error) {
      failures.push(`${provider}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error(`no onnxruntime execution provider could load ${modelPath} (${failures.join('; ') || `none of ${preference.join(', ')} is available`})`);
}

/** Pads the messages' features into the graph's [batch, length] id and weight tensors. */
function toTensors(batch: readonly SparseFeatures[]): Record<string, ort.Tensor> {
  // At least one column, so that a message without known n-grams still has a (zero-weight) input.
  const length = Math.max(1, ...batch.map((features) => features.ids.length));
  const ids = new BigInt64Array(batch.length * length);
  const weights = new Float32Array(batch.length * length);
  batch.forEach((features, row) => {
    const offset = row * length;
    for (let k = 0; k < features.ids.length; k++) ids[offset + k] = BigInt(features.ids[k]!);
    weights.set(features.weights, offset);
  });
  return {
    [GRAPH_INPUTS.ids]: new ort.Tensor('int64', ids, [batch.length, length]),
    [GRAPH_INPUTS.weights]: new ort.Tensor('float32', weights, [batch.length, length]),
  };
}

/** The answer for one message from one run's outputs; the out-of-scope class (if trained) is never an answer. */
export function predictionFromRun(run: RunOutput, meta: Pick<CommonModelMeta, 'labels' | 'threshold'>): IntentPrediction {
  const ranking = Array.from(run.probabilities, (confidence, index) => ({ intent: meta.labels[index]!, confidence }))
    .filter((entry) => entry.intent !== OUT_OF_SCOPE)
    .sort((a, b) => b.confidence - a.confidence)
    .slice(0, RANKING_SIZE);
  const top = ranking[0]!;
  return { intent: top.confidence >= meta.threshold ? top.intent : null, topIntent: top.intent, confidence: top.confidence, ranking, embedding: run.embedding };
}

export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<IntentModel> {
  const { meta, idf, modelPath } = await readArtifact(dir);
  const { session, provider } = await createSession(modelPath, options.executionProviders ?? EXECUTION_PROVIDER_PREFERENCE, options.logger);
  const classes = meta.labels.length;

  const batcher = new MicroBatcher<SparseFeatures, RunOutput>(async (batch) => {
    const started = performance.now();
    const outputs = await session.run(toTensors(batch));
    options.onRun?.({ batchSize: batch.length, durationMs: performance.now() - started });
    const probs = outputs[GRAPH_OUTPUTS.probs]!.data as Float32Array;
    const embeddingOutput = outputs[GRAPH_OUTPUTS.embedding]!;
    const embedding = embeddingOutput.data as Float32Array;
    const width = Number(embeddingOutput.dims[1]);
    return batch.map((_, row) => ({
      probabilities: probs.slice(row * classes, (row + 1) * classes),
      embedding: embedding.slice(row * width, (row + 1) * width),
    }));
  }, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);

  const run = (texts: readonly string[]) => Promise.all(texts.map((text) => batcher.submit(featurize(text, meta.featurizer, idf))));

  return {
    meta,
    executionProvider: provider,
    async classify(text) {
      const [output] = await run([text]);
      return predictionFromRun(output!, meta);
    },
    async classifyBatch(texts) {
      return (await run(texts)).map((output) => predictionFromRun(output, meta));
    },
    async embed(texts) {
      return (await run(texts)).map((output) => output.embedding);
    },
    async close() {
      await session.release();
    },
  };
}
