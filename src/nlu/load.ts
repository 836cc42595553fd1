import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, type LoadModelOptions } from './runtime.ts';
import { TransformersIntentModel } from './transformers/head.ts';
import type { CommonModelMeta, IntentModel } from './types.ts';

/**
 * Loads a model artifact of either back-end: the built-in n-gram model, or a classification head
 * on a pretrained Transformers.js encoder (which meta.json names).
 */
export async function loadAnyModel(dir: string, options: LoadModelOptions = {}): Promise<IntentModel<CommonModelMeta>> {
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { encoder?: unknown };
  if (meta.encoder === 'transformers') return TransformersIntentModel.load(dir, options);
  return loadModel(dir, options);
}
