// Serving a Transformers.js back-end artifact: the pretrained encoder (Transformers.js) and the
// classification head trained on its sentence vectors (src/fitting/train-transformers-head.ts):
//   head.onnx   input `embedding` float [N, D] → outputs `probs` [N, C] (and `logits`)
//   meta.json   { encoder: "transformers", encoderModel, pooling, dimensions, labels, ... }
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { MicroBatcher } from '../../concurrency/micro-batcher.ts';
import { createSession, DEFAULT_MAX_BATCH_SIZE, EXECUTION_PROVIDER_PREFERENCE, predictionFromRun, type LoadModelOptions, type RunOutput } from '../runtime.ts';
import type { IntentPrediction, ModelMetrics } from '../types.ts';
import { TransformersEncoder, type Pooling, type SentenceEncoder, type TransformersEncoderOptions } from './encoder.ts';

export const HEAD_FILE = 'head.onnx';
export const META_FILE = 'meta.json';

export interface TransformersHeadMeta {
  formatVersion: 1;
  encoder: 'transformers';
  /** Hugging Face id, or absolute path of a local model folder. */
  encoderModel: string;
  pooling: Pooling;
  labels: string[];
  dimensions: { embedding: number; hidden: number };
  files: { head: string };
  /** Already folded into head.onnx. */
  temperature: number;
  /** Calibrated confidence below which a message takes the fallback path. */
  threshold: number;
  thresholdRule: string;
  training: {
    examples: number;
    validationExamples: number;
    epochs: number;
    seconds: number;
    seed: number;
    trainAccuracy: number;
    validation: ModelMetrics | null;
  };
  createdAt: string;
}

export async function readHeadMeta(dir: string): Promise<TransformersHeadMeta> {
  const meta = JSON.parse(await readFile(join(dir, META_FILE), 'utf8')) as Partial<TransformersHeadMeta>;
  if (meta.encoder !== 'transformers' || !Array.isArray(meta.labels) || typeof meta.encoderModel !== 'string') {
    throw new Error(`${join(dir, META_FILE)} is not a transformers-encoder head artifact`);
  }
  return meta as TransformersHeadMeta;
}

/**
 * Runs the encoder (Transformers.js) and head.onnx (onnxruntime-node) together. Concurrent calls
 * are coalesced like the built-in model's: one encoder batch and one head run for all of them.
 */
export class TransformersIntentModel {
  private readonly batcher: MicroBatcher<string, RunOutput>;

  private constructor(
    readonly meta: TransformersHeadMeta,
    private readonly encoder: SentenceEncoder,
    private readonly ownsEncoder: boolean,
    private readonly session: ort.InferenceSession,
    /** Where head.onnx runs: chosen like the built-in model's (CUDA, else WebGPU, else CPU). */
    readonly executionProvider: string,
    options: LoadModelOptions,
  ) {
    this.batcher = new MicroBatcher(async (texts) => {
      const started = performance.now();
      const embeddings = await this.encoder.embed(texts);
      const probabilities = await this.probabilities(embeddings);
      options.onRun?.({ batchSize: texts.length, durationMs: performance.now() - started });
      return embeddings.map((embedding, index) => ({ embedding, probabilities: probabilities[index]! }));
    }, options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  }

  /**
   * Loads `dir/head.onnx` and its encoder: the one given, or the one meta.json names
   * (loaded offline unless `encoderOptions.allowRemote`).
   */
  static async load(
    dir: string,
    opts: LoadModelOptions & { encoder?: SentenceEncoder; encoderOptions?: TransformersEncoderOptions } = {},
  ): Promise<TransformersIntentModel> {
    const meta = await readHeadMeta(dir);
    const { session, provider } = await createSession(join(dir, meta.files?.head ?? HEAD_FILE), opts.executionProviders ?? EXECUTION_PROVIDER_PREFERENCE, opts.logger);
    const encoder =
      opts.encoder ?? (await TransformersEncoder.load(meta.encoderModel, { pooling: meta.pooling, ...opts.encoderOptions }));
    if (encoder.dimension !== meta.dimensions.embedding) {
      if (!opts.encoder) await encoder.close();
      await session.release();
      throw new Error(
        `encoder ${encoder.modelId} gives ${encoder.dimension}-d vectors, the head expects ${meta.dimensions.embedding}`,
      );
    }
    return new TransformersIntentModel(meta, encoder, !opts.encoder, session, provider, opts);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return (await Promise.all(texts.map((text) => this.batcher.submit(text)))).map((output) => output.embedding);
  }

  /** Calibrated class probabilities from head.onnx, one row per embedding. */
  async probabilities(embeddings: Float32Array[]): Promise<Float32Array[]> {
    if (embeddings.length === 0) return [];
    const D = this.meta.dimensions.embedding;
    const flat = new Float32Array(embeddings.length * D);
    embeddings.forEach((e, i) => flat.set(e, i * D));
    const out = await this.session.run({ embedding: new ort.Tensor('float32', flat, [embeddings.length, D]) }, ['probs']);
    const probs = out.probs!.data as Float32Array;
    const C = this.meta.labels.length;
    return embeddings.map((_, i) => probs.slice(i * C, (i + 1) * C));
  }

  async classifyBatch(texts: string[]): Promise<IntentPrediction[]> {
    const outputs = await Promise.all(texts.map((text) => this.batcher.submit(text)));
    return outputs.map((output) => predictionFromRun(output, this.meta));
  }

  async classify(text: string): Promise<IntentPrediction> {
    return (await this.classifyBatch([text]))[0]!;
  }

  async close(): Promise<void> {
    await this.session.release();
    if (this.ownsEncoder) await this.encoder.close();
  }
}
