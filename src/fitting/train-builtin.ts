// Trains the built-in intent model from labelled messages and writes its artifact folder:
// featurize → train the network (early stopping on validation) → fit the temperature → choose the
// out-of-scope threshold → export model.onnx + idf.bin + meta.json.
import { writeArtifact, IDF_FILE } from '../nlu/artifact.ts';
import { DEFAULT_FEATURIZER_CONFIG, hashedNgramCounts, idfOfCounts, weighCounts, type FeaturizerConfig } from '../nlu/featurizer.ts';
import { buildIntentGraph } from '../nlu/intent-graph.ts';
import type { NetworkWeights } from '../nlu/network.ts';
import { OUT_OF_SCOPE, type LabelledExample, type ModelMeta, type ModelMetrics } from '../nlu/types.ts';
import { calibrateOnValidation } from './calibration.ts';
import { metricsOf, type Evaluation } from '../evaluation/evaluate.ts';
import { createRandom, stratifiedSplit } from './random.ts';
import { DEFAULT_HYPERPARAMETERS, fitLinearSvm, predictLogits, trainingThreads, trainNetwork, validationAccuracy, withLinearPath, type EncodedExample, type EpochReport, type Hyperparameters } from './network-trainer.ts';
import { startTrainingWorker } from './training-threads.ts';

/** Share of the training data held out for validation when no validation set is given. */
export const VALIDATION_FRACTION = 0.1;

export type TrainProgress =
  | { phase: 'featurize'; examples: number; validationExamples: number }
  | ({ phase: 'epoch' } & EpochReport)
  | { phase: 'calibrate' }
  | { phase: 'export'; outDir: string };

export interface TrainOptions {
  /** Validation messages; without them a stratified tenth of `train` is held out. */
  val?: LabelledExample[];
  outDir: string;
  onProgress?: (progress: TrainProgress) => void;
  seed?: number;
  hyperparameters?: Partial<Hyperparameters>;
  featurizer?: Partial<FeaturizerConfig>;
  /**
   * Texts without labels (knowledge chunks, logged messages): their n-grams get embedding rows and
   * count in the IDF statistics, so that the sentence vector (`embed`) knows words that only they
   * use. Rows seen only here are never trained by the intent loss: they stay random, and a random
   * projection of the TF-IDF vector keeps its lexical cosine similarity for retrieval.
   */
  unlabelled?: readonly string[];
}

export interface TrainResult {
  outDir: string;
  meta: ModelMeta;
  /** Scores on the validation data, after calibration and threshold (as stored in meta.json), and what they were measured on. */
  metrics: ModelMetrics & { measured_on: string };
  /** What the model version registry stores next to the metrics. */
  thresholds: { temperature: number; threshold: number };
  /** The full validation evaluation (per intent, confusions, reliability) for reports. */
  validation: Evaluation;
  /** The trained weights (model.onnx holds the same network). */
  network: NetworkWeights;
  /** What a person should hear about this model (too little validation data, for one). */
  warnings: string[];
}

function intentCounts(examples: readonly LabelledExample[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const example of examples) counts.set(example.intent, (counts.get(example.intent) ?? 0) + 1);
  return counts;
}

export async function trainModel(train: LabelledExample[], opts: TrainOptions): Promise<TrainResult> {
  const started = performance.now();
  const seed = opts.seed ?? 1;
  const hyperparameters = { ...DEFAULT_HYPERPARAMETERS, ...opts.hyperparameters };
  const featurizerConfig = { ...DEFAULT_FEATURIZER_CONFIG, ...opts.featurizer };
  const counts = intentCounts(train);
  const intents = [...counts.keys()].filter((intent) => intent !== OUT_OF_SCOPE).sort();
  if (intents.length < 2) throw new Error(`training needs at least two intents besides "${OUT_OF_SCOPE}"; found ${intents.length}`);
  // Out-of-scope examples become one more class that soaks up probability: what looks like them
  // lowers every real intent's confidence, and so falls back. It is never answered (see runtime).
  const labels = counts.has(OUT_OF_SCOPE) ? [...intents, OUT_OF_SCOPE] : intents;

  const { rest: trainingSet, heldOut: validationSet } = opts.val
    ? { rest: train, heldOut: opts.val }
    : stratifiedSplit(train, (example) => example.intent, VALIDATION_FRACTION, createRandom(seed));
  if (validationSet.length === 0) throw new Error('no validation data: give a validation set or more examples per intent');
  opts.onProgress?.({ phase: 'featurize', examples: trainingSet.length, validationExamples: validationSet.length });
  // The second training thread boots while the messages are featurized (trainNetwork closes it).
  const worker = trainingThreads(hyperparameters.threads) > 1 ? startTrainingWorker() : Promise.resolve(null);

  // Each text is hashed once: the same counts give the IDF and then the features.
  const trainingCounts = trainingSet.map((example) => hashedNgramCounts(example.text, featurizerConfig));
  const unlabelledCounts = (opts.unlabelled ?? []).map((text) => hashedNgramCounts(text, featurizerConfig));
  const idf = idfOfCounts([...trainingCounts, ...unlabelledCounts], featurizerConfig);
  // The embedding table has one row per bucket that occurs in training; the rest stay at zero.
  const rowOfBucket = new Int32Array(featurizerConfig.buckets).fill(-1);
  let vocabulary = 0;
  for (let bucket = 0; bucket < idf.length; bucket++) if (idf[bucket]! > 0) rowOfBucket[bucket] = vocabulary++;
  const labelIndex = new Map(labels.map((label, index) => [label, index]));
  const encode = (examples: readonly LabelledExample[], counts: readonly ReadonlyMap<number, number>[]): EncodedExample[] =>
    examples.map((example, index) => {
      const features = weighCounts(counts[index]!, idf);
      // Validation intents unknown to training can only be handled by the fallback: out of scope.
      return { rows: Int32Array.from(features.ids, (bucket) => rowOfBucket[bucket]!), weights: features.weights, label: labelIndex.get(example.intent) ?? -1 };
    });
  const encodedTrain = encode(trainingSet, trainingCounts);
  const encodedValidation = encode(
    validationSet,
    validationSet.map((example) => hashedNgramCounts(example.text, featurizerConfig)),
  );

  const shape = { buckets: featurizerConfig.buckets, vocabulary, embedding: hyperparameters.embedding, hidden: hyperparameters.hidden, classes: labels.length, projection: hyperparameters.projection };
  const trained = await trainNetwork({
    worker,
    train: encodedTrain,
    validation: encodedValidation,
    shape,
    rowOfBucket,
    hyperparameters,
    seed,
    onEpoch: (report) => opts.onProgress?.({ phase: 'epoch', ...report }),
  });

  let network = trained.weights;
  if (hyperparameters.linear) {
    // The wide path: a linear SVM on the same rows, its scores added to the logits at the scale
    // that scores best on validation (the smallest one on ties; 0 leaves the network alone).
    const svm = fitLinearSvm(encodedTrain, vocabulary, labels.length, { C: hyperparameters.linearC, maxEpochs: hyperparameters.linearEpochs, seed });
    let best = { accuracy: -Infinity, network };
    for (const scale of hyperparameters.linearScales) {
      const candidate = withLinearPath(trained.weights, svm, scale);
      const score = validationAccuracy(candidate, encodedValidation);
      if (score.accuracy > best.accuracy) best = { ...score, network: candidate };
    }
    network = best.network;
  }

  opts.onProgress?.({ phase: 'calibrate' });
  const { temperature, threshold, thresholdRule, warning, evaluation: validation } = calibrateOnValidation(
    predictLogits(network, encodedValidation),
    encodedValidation.map((example) => example.label),
    labels,
    intents.length,
  );

  const meta: ModelMeta = {
    formatVersion: 1,
    encoder: 'builtin',
    labels,
    featurizer: { ...featurizerConfig, idfFile: IDF_FILE },
    dimensions: { embedding: shape.embedding, hidden: shape.hidden, projection: shape.projection, sentence: shape.projection + shape.hidden },
    sentenceLexicalWeight: network.sentenceLexicalWeight,
    widePath: network.linear.length > 0,
    temperature,
    threshold,
    thresholdRule,
    training: {
      examples: trainingSet.length,
      unlabelledTexts: opts.unlabelled?.length ?? 0,
      validationExamples: validationSet.length,
      epochs: trained.bestEpoch,
      seconds: (performance.now() - started) / 1000,
      seed,
      validation: metricsOf(validation),
    },
    createdAt: new Date().toISOString(),
  };
  opts.onProgress?.({ phase: 'export', outDir: opts.outDir });
  await writeArtifact(opts.outDir, { meta, onnx: buildIntentGraph(network, temperature), idf });
  const measuredOn = opts.val
    ? `the ${validationSet.length} messages of the given validation set`
    : `${validationSet.length} of the ${train.length} training examples, held out from training (stratified ${Math.round(VALIDATION_FRACTION * 100)}%)`;
  return { outDir: opts.outDir, meta, metrics: { ...meta.training.validation, measured_on: measuredOn }, thresholds: { temperature, threshold }, validation, network, warnings: warning ? [warning] : [] };
}
