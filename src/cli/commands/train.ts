import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { readDatasets } from '../../training/datasets.ts';
import { trainModel, type TrainProgress } from '../../training/train.ts';
import { loadCatalogue } from '../../catalogue/index.ts';
import { trainAndRegister } from '../../training/bootstrap.ts';
import { ModelRegistry } from '../../training/registry.ts';
import { currentTrainingSet } from '../../training/training-set.ts';
import { withDatabase } from '../context.ts';

interface TrainCommandOptions {
  data: string[];
  val?: string;
  out?: string;
  seed: string;
}

/** Progress as a bar on a terminal, as plain lines in logs and pipes. */
function progressReporter(): { onProgress: (progress: TrainProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY) {
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
  const bar = new cliProgress.SingleBar(
    { format: 'training |{bar}| epoch {value}/{total} val_accuracy {accuracy} {phase}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: (progress) => {
      if (progress.phase === 'epoch') {
        if (!started) bar.start(progress.maxEpochs, 0, { accuracy: '-', phase: '' });
        started = true;
        bar.update(progress.epoch, { accuracy: progress.validationAccuracy.toFixed(4), phase: '' });
      } else if (started) bar.update({ phase: progress.phase });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
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
    .action(async (options: TrainCommandOptions) => {
      if (options.data.length === 0) return trainFromDatabase(Number(options.seed));
      if (!options.out) throw new Error('train from files needs --out DIR');
      const train = await readDatasets(options.data);
      const val = options.val ? await readDatasets([options.val]) : undefined;
      const reporter = progressReporter();
      try {
        const result = await trainModel(train, { val, outDir: options.out, seed: Number(options.seed), onProgress: reporter.onProgress });
        reporter.stop();
        const { validation, seconds, epochs } = result.meta.training;
        process.stdout.write(
          `${JSON.stringify({ out: result.outDir, labels: result.meta.labels.length, epochs, train_s: Number(seconds.toFixed(2)), temperature: result.meta.temperature, threshold: result.meta.threshold, validation })}\n`,
        );
      } finally {
        reporter.stop();
      }
    });
}

/** `frontdesk train` without files: catalogue + labelled messages → a registered candidate version. */
async function trainFromDatabase(seed: number): Promise<void> {
  await withDatabase(async ({ config, prisma, logger }) => {
    const catalogue = await loadCatalogue(config.intentsDir);
    const examples = await currentTrainingSet(prisma, catalogue);
    const reporter = progressReporter();
    try {
      const version = await trainAndRegister({ examples, registry: new ModelRegistry(prisma), dataDir: config.dataDir, logger, seed, onProgress: reporter.onProgress });
      reporter.stop();
      process.stdout.write(`${JSON.stringify({ name: version.name, status: version.status, examples: examples.length, artifactPath: version.artifactPath, metrics: version.metrics })}\n`);
    } finally {
      reporter.stop();
    }
  });
}
