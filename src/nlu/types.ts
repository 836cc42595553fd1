// Types shared by the intent model's training code, artifact and runtime.
import type { FeaturizerConfig } from './featurizer.ts';

/** The intent that marks an out-of-scope message: its right answer is the fallback. */
export const OUT_OF_SCOPE = 'oos';

export interface LabelledExample {
  text: string;
  /** An intent name, or `oos` for an out-of-scope message. */
  intent: string;
}

export interface IntentPrediction {
  /** The predicted intent, or null when the confidence is below the model's threshold (take the fallback path). */
  intent: string | null;
  /** The most likely intent, even when it is below the threshold. */
  topIntent: string;
  /** Calibrated probability of `topIntent`. */
  confidence: number;
  /** The five most likely intents, best first. */
  ranking: Array<{ intent: string; confidence: number }>;
  /** The message's sentence vector from the same run, as `embed` gives it (retrieval reuses it instead of running the model again). */
  embedding: Float32Array;
}

/** Quality measured on the validation data at training time (and by `frontdesk eval`). */
export interface ModelMetrics {
  n: number;
  accuracy: number;
  in_scope_accuracy: number;
  oos_recall: number | null;
  macro_f1: number;
  /** Expected calibration error of the top confidence, 10 equal-width bins. */
  ece: number;
}

export interface ModelMeta {
  formatVersion: 1;
  encoder: 'builtin';
  /** Output classes in order; ends with `oos` when the training data had out-of-scope examples. */
  labels: string[];
  featurizer: FeaturizerConfig & {
    /** File in the artifact folder: little-endian float32 IDF per bucket (0 = bucket unseen in training). */
    idfFile: string;
  };
  /**
   * `projection`: width of the fixed random projection of the TF-IDF vector; `sentence`: width of
   * the `embedding` output (the sentence vector), projection + hidden.
   */
  dimensions: { embedding: number; hidden: number; projection?: number; sentence?: number };
  /** Share of the sentence vector's cosine that comes from the lexical projection (the rest: hidden layer). */
  sentenceLexicalWeight?: number;
  /** The graph adds a sparse linear path from the TF-IDF features to the logits (wide & deep). */
  widePath?: boolean;
  /** Softmax temperature fitted on validation data; already applied inside model.onnx. */
  temperature: number;
  /** Calibrated confidence below which a message takes the fallback path. */
  threshold: number;
  thresholdRule: string;
  training: {
    examples: number;
    /** Unlabelled texts that shared the IDF statistics and embedding rows. */
    unlabelledTexts?: number;
    validationExamples: number;
    epochs: number;
    seconds: number;
    seed: number;
    validation: ModelMetrics;
  };
  createdAt: string;
}

export interface ModelRun {
  /** Number of messages in one ONNX run. */
  batchSize: number;
  durationMs: number;
}

/** What the meta.json of every model artifact holds, whichever encoder it uses. */
export interface CommonModelMeta {
  readonly encoder: string;
  readonly labels: string[];
  readonly threshold: number;
  readonly createdAt: string;
}

export interface IntentModel<Meta extends CommonModelMeta = ModelMeta> {
  readonly meta: Meta;
  /** The onnxruntime execution provider in use: `cuda`, `webgpu` or `cpu`. */
  readonly executionProvider: string;
  classify(text: string): Promise<IntentPrediction>;
  classifyBatch(texts: string[]): Promise<IntentPrediction[]>;
  /** L2-normalized sentence vectors (the same space the retrieval index uses). */
  embed(texts: string[]): Promise<Float32Array[]>;
  close(): Promise<void>;
}
