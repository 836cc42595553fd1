/**
 * The pretrained-encoder back-end: any Hugging Face feature-extraction model run through
 * Transformers.js (`@huggingface/transformers` v4, onnxruntime-node underneath).
 *
 * A model is named either by a Hugging Face id (`Xenova/all-MiniLM-L6-v2`) or by a local
 * folder laid out like a hub repository:
 *
 *   config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx (fp32)
 *   (other dtypes: onnx/model_quantized.onnx for "q8", onnx/model_fp16.onnx for "fp16", ...)
 *
 * Offline is the default: nothing is fetched unless `allowRemote` is set. An id is then
 * resolved inside `cacheDir` (`<cacheDir>/<org>/<name>/...`, where an earlier online load
 * stored it), and a missing model fails fast with `ENCODER_NOT_FOUND`.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';

export type Pooling = 'mean' | 'cls';
export type EncoderDtype = 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'auto';

export interface TransformersEncoderOptions {
  /** Where hub downloads are cached and where offline ids are looked up. */
  cacheDir?: string;
  /** Allow downloads from the Hugging Face hub (default false: offline). */
  allowRemote?: boolean;
  /** Sentence pooling over the token vectors (default "mean", over the attention mask). */
  pooling?: Pooling;
  /** Which ONNX weights to load (default "fp32" → onnx/model.onnx). */
  dtype?: EncoderDtype;
  /** Texts per ONNX run (default 32). */
  batchSize?: number;
  /** Hub revision (default "main"). */
  revision?: string;
}

export type EncoderErrorCode = 'ENCODER_NOT_FOUND' | 'ENCODER_LOAD_FAILED' | 'ENCODER_CLOSED';

export class EncoderError extends Error {
  constructor(
    readonly code: EncoderErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'EncoderError';
  }
}

/** What the classifier and the retrieval index need from any sentence encoder. */
export interface SentenceEncoder {
  readonly modelId: string;
  readonly dimension: number;
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** Minimal view of the feature-extraction pipeline object we use. */
interface FeaturePipeline {
  (texts: string[], opts: { pooling: 'mean' | 'cls'; normalize: boolean }): Promise<{ data: ArrayLike<number>; dims: number[] }>;
  dispose(): Promise<void>;
}

/** Whether `s` names a local folder rather than a hub id. */
export function isLocalModelRef(s: string): boolean {
  return isAbsolute(s) || s.startsWith('./') || s.startsWith('../') || s === '.' || s.startsWith('~') || existsSync(s);
}

// `env` in Transformers.js is process-global and some look-ups read it directly (not the
// per-call options), so loads are serialized while they set it.
let loadQueue: Promise<unknown> = Promise.resolve();
function serialized<T>(fn: () => Promise<T>): Promise<T> {
  const run = loadQueue.then(fn, fn);
  loadQueue = run.catch(() => undefined);
  return run;
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'ModelFileNotFoundError' ||
    /not found locally|Could not locate file|local_files_only|allowRemoteModels=false|Local file missing/i.test(err.message)
  );
}

export class TransformersEncoder implements SentenceEncoder {
  private closed = false;

  private constructor(
    private readonly pipe: FeaturePipeline,
    readonly modelId: string,
    readonly dimension: number,
    readonly pooling: Pooling,
    readonly batchSize: number,
  ) {}

  static async load(modelIdOrPath: string, opts: TransformersEncoderOptions = {}): Promise<TransformersEncoder> {
    const allowRemote = opts.allowRemote ?? false;
    const pooling = opts.pooling ?? 'mean';
    const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 32));
    if (!modelIdOrPath) throw new EncoderError('ENCODER_NOT_FOUND', 'no encoder model given');

    const local = isLocalModelRef(modelIdOrPath);
    const target = local ? resolve(modelIdOrPath) : modelIdOrPath;
    if (local) {
      const cfg = join(target, 'config.json');
      if (!existsSync(target) || !statSync(target).isDirectory() || !existsSync(cfg)) {
        throw new EncoderError(
          'ENCODER_NOT_FOUND',
          `encoder model folder not found or incomplete: ${target} (expected config.json, tokenizer.json, ` +
            `tokenizer_config.json and onnx/model.onnx)`,
        );
      }
    }

    const { env } = await import('@huggingface/transformers');

    return serialized(async () => {
      // Some look-ups (the tokenizer-file probe) read env instead of the per-call options, so
      // set it for the duration of the load and restore it afterwards.
      const saved = { allowLocalModels: env.allowLocalModels, allowRemoteModels: env.allowRemoteModels, cacheDir: env.cacheDir };
      env.allowLocalModels = true;
      env.allowRemoteModels = allowRemote;
      if (opts.cacheDir) env.cacheDir = opts.cacheDir;
      try {
        return await TransformersEncoder.loadPipeline(modelIdOrPath, target, local, opts, pooling, batchSize);
      } finally {
        Object.assign(env, saved);
      }
    });
  }

  private static async loadPipeline(
    modelIdOrPath: string,
    target: string,
    local: boolean,
    opts: TransformersEncoderOptions,
    pooling: Pooling,
    batchSize: number,
  ): Promise<TransformersEncoder> {
    const { env, pipeline } = await import('@huggingface/transformers');
    const allowRemote = opts.allowRemote ?? false;
    let pipe: FeaturePipeline;
    try {
      pipe = (await pipeline('feature-extraction', target, {
        dtype: opts.dtype ?? 'fp32',
        device: 'cpu',
        local_files_only: !allowRemote,
        ...(opts.cacheDir ? { cache_dir: opts.cacheDir } : {}),
        ...(opts.revision ? { revision: opts.revision } : {}),
      })) as unknown as FeaturePipeline;
    } catch (err) {
      if (isNotFound(err)) {
        throw new EncoderError(
          'ENCODER_NOT_FOUND',
          allowRemote
            ? `encoder model "${modelIdOrPath}" not found (locally or on the hub)`
            : `encoder model "${modelIdOrPath}" is not available offline` +
                (local ? '' : ` in ${opts.cacheDir ?? env.cacheDir}; download it once with allowRemote, or pass a local folder`),
          { cause: err },
        );
      }
      throw new EncoderError('ENCODER_LOAD_FAILED', `could not load encoder "${modelIdOrPath}": ${String(err)}`, {
        cause: err,
      });
    }
    // The dimension is whatever the model emits; probe once rather than trusting config keys
    // (hidden_size, d_model, dim, ... differ between architectures).
    let dimension: number;
    try {
      const probe = await pipe(['dimension probe'], { pooling, normalize: true });
      dimension = probe.dims[probe.dims.length - 1] ?? 0;
      if (probe.dims.length !== 2 || !(dimension > 0)) {
        throw new Error(`unexpected pooled output shape [${probe.dims.join(', ')}]`);
      }
    } catch (err) {
      await pipe.dispose().catch(() => undefined);
      throw new EncoderError('ENCODER_LOAD_FAILED', `encoder "${modelIdOrPath}" is not a feature-extraction model: ${String(err)}`, {
        cause: err,
      });
    }
    return new TransformersEncoder(pipe, target, dimension, pooling, batchSize);
  }

  /**
   * Sentence vectors (pooled, L2-normalized), one per text, in input order. Texts are sorted
   * by length into batches of `batchSize` so that padding stays small.
   */
  async embed(texts: string[]): Promise<Float32Array[]> {
    if (this.closed) throw new EncoderError('ENCODER_CLOSED', 'encoder is closed');
    const out: Float32Array[] = new Array(texts.length);
    const order = texts.map((_, i) => i).sort((a, b) => texts[a]!.length - texts[b]!.length || a - b);
    for (let start = 0; start < order.length; start += this.batchSize) {
      const idx = order.slice(start, start + this.batchSize);
      const batch = idx.map((i) => texts[i] ?? '');
      const res = await this.pipe(batch, { pooling: this.pooling, normalize: true });
      const D = this.dimension;
      if (res.dims[0] !== batch.length || res.dims[1] !== D) {
        throw new Error(`encoder returned shape [${res.dims.join(', ')}], expected [${batch.length}, ${D}]`);
      }
      const data = res.data;
      idx.forEach((orig, row) => {
        const v = new Float32Array(D);
        for (let j = 0; j < D; j++) v[j] = data[row * D + j]!;
        out[orig] = v;
      });
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pipe.dispose();
  }
}
