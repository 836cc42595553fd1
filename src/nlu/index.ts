// Public surface of the intent model.
export { loadModel, EXECUTION_PROVIDER_PREFERENCE, type LoadModelOptions } from './runtime.ts';
export { loadAnyModel } from './load.ts';
export { OUT_OF_SCOPE, type CommonModelMeta, type IntentModel, type IntentPrediction, type LabelledExample, type ModelMeta, type ModelMetrics, type ModelRun } from './types.ts';
export { featurize, normalizeText, DEFAULT_FEATURIZER_CONFIG, type FeaturizerConfig, type SparseFeatures } from './featurizer.ts';
