import { Option, type Command } from 'commander';
import { readDatasets } from '../../corpus/datasets.ts';
import { trainModel } from '../../fitting/train-builtin.ts';
import { trainAndRegister } from '../../models/bootstrap.ts';
import { modelDir } from '../../models/model-files.ts';
import { ModelRegistry } from '../../models/registry.ts';
import { currentTrainingSet, knowledgeTexts } from '../../corpus/training-set.ts';
import { join } from 'node:path';
import { servedCatalogue, withDatabase } from '../context.ts';
import { progressOnTerminal, terminalBar } from '../progress.ts';
import { TransformersEncoder } from '../../nlu/transformers/index.ts';
import { trainTransformersHead } from '../../fitting/train-transformers-head.ts';
import type { LabelledExample } from '../../nlu/types.ts';
import { createRandom, stratifiedSplit } from '../../fitting/random.ts';
import { retrain, type RetrainProgress } from '../../models/retrain.ts';

interface TrainCommandOptions {
  data: string[];
  val?: string;
  out?: string;
  seed: string;
  encoder: 'builtin' | 'transformers';
  encoderModel?: string;
  allowRemote?: boolean;
  cacheDir?: string;
  gate?: boolean;
  margin?: string;
}

/** Progress as a bar on a terminal, as plain lines in logs and pipes. */
function progressReporter(): { onProgress: (progress: RetrainProgress) => void; stop: () => void } {
  if (progressOnTerminal()) {
    const bar = terminalBar('training |{bar}| epoch {value}/{total} val_accuracy {accuracy} {phase}');
    return {
      onProgress: (progress) => {
        if (progress.phase === 'epoch') bar.show(progress.epoch, progress.maxEpochs, { accuracy: progress.validationAccuracy.toFixed(4), phase: '' });
        else bar.note({ phase: progress.phase });
      },
      stop: () => bar.stop(),
    };
  }
  return {
    onProgress: (progress) => {
      if (progress.phase === 'epoch') {
        process.stderr.write(`epoch ${progress.epoch}/${progress.maxEpochs} train_loss=${progress.trainLoss.toFixed(4)} val_accuracy=${progress.validationAccuracy.toFixed(4)}\n`);
      } else if (progress.phase === 'featurize') {
        process.stderr.write(`training on ${progress.examples} examples, validating on ${progress.validationExamples}\n`);
      } else process.stderr.write(`${progress.phase}\n`);
    },
    stop: () => {},
  };
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('Train the built-in intent model: from labelled files (CSV text,intent / JSONL / seq.in+label folder / JSON array) into --out, or without --data from the intent catalogue plus the labelled messages in Postgres, registered as a candidate version')
    .option('--data <file>', 'training data; repeat for several files', (file: string, files: string[]) => [...files, file], [])
    .option('--val <file>', 'validation data (default: a stratified 10% of --data)')
    .option('--out <dir>', 'artifact folder to write (model.onnx, idf.bin, meta.json)')
    .option('--seed <n>', 'random seed (training is deterministic given the seed)', '1')
    .addOption(new Option('--encoder <kind>', 'builtin (trained from the data) or transformers (a pretrained encoder + a trained head)').choices(['builtin', 'transformers']).default('builtin'))
    .option('--encoder-model <id-or-folder>', 'with --encoder transformers: a Hugging Face model id or a local model folder')
    .option('--allow-remote', 'with --encoder transformers: allow downloading the model from the Hugging Face hub')
    .option('--cache-dir <dir>', 'with --encoder transformers: where downloaded models are cached and looked up offline')
    .option('--gate', 'without --data: train in a worker on the redacted training set, run the promotion gate against the active version, then promote the candidate or keep it as rejected (docs/learning-loop.md)')
    .option('--margin <m>', 'with --gate: how much less accurate than the active version a candidate may be (default PROMOTION_MARGIN)')
    .action(async (options: TrainCommandOptions) => {
      if (options.data.length === 0 && options.gate) return trainAndGate(Number(options.seed), options.margin === undefined ? undefined : Number(options.margin));
      if (options.data.length === 0) return trainFromDatabase(Number(options.seed));
      if (!options.out) throw new Error('train from files needs --out DIR');
      const train = await readDatasets(options.data);
      const val = options.val ? await readDatasets([options.val]) : undefined;
      if (options.encoder === 'transformers') return trainTransformers(train, val, options);
      const reporter = progressReporter();
      try {
        const result = await trainModel(train, { val, outDir: options.out, seed: Number(options.seed), onProgress: reporter.onProgress });
        reporter.stop();
        for (const warning of result.warnings) process.stderr.write(`warning: ${warning}\n`);
        const { validation, seconds, epochs } = result.meta.training;
        process.stdout.write(
          `${JSON.stringify({ out: result.outDir, labels: result.meta.labels.length, epochs, train_s: Number(seconds.toFixed(2)), temperature: result.meta.temperature, threshold: result.meta.threshold, validation, warnings: result.warnings })}\n`,
        );
      } finally {
        reporter.stop();
      }
    });
}

/** `frontdesk train` without files: catalogue + labelled messages → a registered candidate version. */
async function trainFromDatabase(seed: number): Promise<void> {
  await withDatabase(async ({ config, prisma, logger }) => {
    const live = await servedCatalogue({ config, prisma, logger });
    const catalogue = live.catalogue;
    const examples = await currentTrainingSet(prisma, catalogue);
    const unlabelled = await knowledgeTexts(live.knowledge().markdown);
    const reporter = progressReporter();
    try {
      const version = await trainAndRegister({ examples, registry: new ModelRegistry(prisma), dataDir: config.dataDir, logger, seed, unlabelled, onProgress: reporter.onProgress });
      reporter.stop();
      process.stdout.write(`${JSON.stringify({ name: version.name, status: version.status, examples: examples.length, artifactDir: modelDir(config.dataDir, version.name), metrics: version.metrics })}\n`);
    } finally {
      reporter.stop();
    }
  });
}

/** `frontdesk train --gate`: one turn of the learning loop, on demand. */
async function trainAndGate(seed: number, margin: number | undefined): Promise<void> {
  await withDatabase(async ({ config, prisma, logger, databaseUrl }) => {
    const live = await servedCatalogue({ config, prisma, logger });
    const reporter = progressReporter();
    try {
      const result = await retrain({
        prisma, databaseUrl, registry: new ModelRegistry(prisma), catalogue: live.catalogue, knowledgeDocuments: live.knowledge().markdown, dataDir: config.dataDir, logger, seed,
        margin: margin ?? config.promotionMargin, trigger: 'cli',
        onProgress: reporter.onProgress,
      });
      reporter.stop();
      for (const reason of result.report?.reasons ?? []) process.stderr.write(`${reason}\n`);
      process.stdout.write(`${JSON.stringify({ name: result.version.name, status: result.version.status, promoted: result.promoted, decision: result.report?.decision, examples: result.examples, frozen: result.report?.sets.frozen?.n ?? 0, recent: result.report?.sets.recent?.n ?? 0, metrics: result.version.metrics })}\n`);
    } finally {
      reporter.stop();
    }
  });
}

/** A pretrained feature-extraction encoder (Transformers.js) with a classification head trained on its embeddings. */
async function trainTransformers(train: LabelledExample[], val: LabelledExample[] | undefined, options: TrainCommandOptions & { out?: string }): Promise<void> {
  if (!options.encoderModel) throw new Error('--encoder transformers needs --encoder-model ID_OR_FOLDER');
  const split = val ? { rest: train, heldOut: val } : stratifiedSplit(train, (example) => example.intent, 0.1, createRandom(Number(options.seed)));
  const encoder = await TransformersEncoder.load(options.encoderModel, {
    ...(options.allowRemote ? { allowRemote: true } : {}),
    ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
  });
  try {
    const head = await trainTransformersHead(encoder, split.rest, {
      validation: split.heldOut,
      seed: Number(options.seed),
      onEpoch: (epoch, loss) => process.stderr.write(`epoch ${epoch} loss=${loss.toFixed(4)}\n`),
    });
    await head.save(options.out!);
    process.stdout.write(`${JSON.stringify({ out: options.out, encoder: 'transformers', encoderModel: encoder.modelId, labels: head.meta.labels.length, threshold: head.meta.threshold, temperature: head.meta.temperature })}\n`);
  } finally {
    await encoder.close();
  }
}
