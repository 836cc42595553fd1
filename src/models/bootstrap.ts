import type { Logger } from '../observability/logger.ts';
import { trainModel, type TrainProgress } from '../fitting/train-builtin.ts';
import type { LabelledExample } from '../nlu/types.ts';
import type { ModelRegistry, ModelVersion } from './registry.ts';
import { modelDir } from './model-files.ts';

/** Trains the built-in model on the given examples and registers the result as a candidate version. */
export async function trainAndRegister(options: {
  examples: LabelledExample[];
  /** Texts whose vocabulary the sentence vectors must cover (knowledge documents). */
  unlabelled?: readonly string[];
  registry: ModelRegistry;
  dataDir: string;
  logger: Logger;
  seed?: number;
  onProgress?: (progress: TrainProgress) => void;
}): Promise<ModelVersion> {
  const name = `builtin-${new Date().toISOString().replace(/[-:.TZ]/g, '').slice(0, 17)}`;
  const outDir = modelDir(options.dataDir, name);
  options.logger.info({ model: name, examples: options.examples.length }, 'training intent model');
  const result = await trainModel(options.examples, { outDir, seed: options.seed ?? 1, unlabelled: options.unlabelled ?? [], ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  for (const warning of result.warnings) options.logger.warn({ model: name }, warning);
  return options.registry.register({
    name,
    encoder: 'builtin',
    artifactDir: outDir,
    metrics: JSON.parse(JSON.stringify(result.metrics)),
    thresholds: JSON.parse(JSON.stringify(result.thresholds)),
  });
}

/**
 * A fresh installation has no model yet: train one from the intent catalogue so the server answers
 * from the first message, with no download.
 */
export async function ensureActiveModel(options: {
  examples: () => Promise<LabelledExample[]>;
  unlabelled: () => Promise<string[]>;
  registry: ModelRegistry;
  dataDir: string;
  logger: Logger;
}): Promise<void> {
  if (await options.registry.active()) return;
  const version = await trainAndRegister({ examples: await options.examples(), unlabelled: await options.unlabelled(), registry: options.registry, dataDir: options.dataDir, logger: options.logger });
  await options.registry.promote(version.id, { actor: { kind: 'system', name: 'first start' } });
}
