// The model artifact folder: model.onnx (the whole network, calibrated), idf.bin (the featurizer's
// per-bucket IDF, little-endian float32) and meta.json (labels, featurizer settings, temperature,
// threshold, training metrics).
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelMeta } from './types.ts';

export const MODEL_FILE = 'model.onnx';
export const META_FILE = 'meta.json';
export const IDF_FILE = 'idf.bin';

const metricsSchema = z.object({
  n: z.number(),
  accuracy: z.number(),
  in_scope_accuracy: z.number(),
  oos_recall: z.number().nullable(),
  macro_f1: z.number(),
  ece: z.number(),
});

const metaSchema = z.object({
  formatVersion: z.literal(1),
  encoder: z.literal('builtin'),
  labels: z.array(z.string()).min(1),
  featurizer: z.object({
    buckets: z.number().int().positive(),
    wordNgramMax: z.number().int().positive(),
    charNgramMin: z.number().int().positive(),
    charNgramMax: z.number().int().positive(),
    cjkNgramMax: z.number().int().positive(),
    idfFile: z.string(),
  }),
  dimensions: z.object({ embedding: z.number().int().positive(), hidden: z.number().int().positive(), projection: z.number().int().nonnegative().optional(), sentence: z.number().int().positive().optional() }),
  sentenceLexicalWeight: z.number().min(0).max(1).optional(),
  widePath: z.boolean().optional(),
  temperature: z.number().positive(),
  threshold: z.number().min(0).max(1),
  thresholdRule: z.string(),
  training: z.object({
    examples: z.number(),
    unlabelledTexts: z.number().optional(),
    validationExamples: z.number(),
    epochs: z.number(),
    seconds: z.number(),
    seed: z.number(),
    validation: metricsSchema,
  }),
  createdAt: z.string(),
});

export async function writeArtifact(directory: string, parts: { meta: ModelMeta; onnx: Uint8Array; idf: Float32Array }): Promise<void> {
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, MODEL_FILE), parts.onnx);
  await writeFile(join(directory, parts.meta.featurizer.idfFile), new Uint8Array(parts.idf.buffer, parts.idf.byteOffset, parts.idf.byteLength));
  await writeFile(join(directory, META_FILE), `${JSON.stringify(parts.meta, null, 2)}\n`);
}

export async function readArtifact(directory: string): Promise<{ meta: ModelMeta; idf: Float32Array; modelPath: string }> {
  const metaPath = join(directory, META_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(metaPath, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read the model's ${metaPath}: ${(error as Error).message}`);
  }
  const parsed = metaSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${metaPath} is not a frontdesk built-in model description: ${z.prettifyError(parsed.error)}`);
  const meta = parsed.data as ModelMeta;
  const bytes = await readFile(join(directory, meta.featurizer.idfFile));
  if (bytes.byteLength !== meta.featurizer.buckets * 4) throw new Error(`${meta.featurizer.idfFile} holds ${bytes.byteLength / 4} buckets, meta.json says ${meta.featurizer.buckets}`);
  // Copy into an aligned buffer: a Buffer from readFile may start at any byte offset.
  const idf = new Float32Array(meta.featurizer.buckets);
  new Uint8Array(idf.buffer).set(bytes);
  return { meta, idf, modelPath: join(directory, MODEL_FILE) };
}
