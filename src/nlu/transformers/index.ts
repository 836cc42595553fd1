// The pretrained-encoder back-end (Transformers.js) and its ONNX classification head.
export { EncoderError, isLocalModelRef, TransformersEncoder } from './encoder.ts';
export type { EncoderDtype, EncoderErrorCode, Pooling, SentenceEncoder, TransformersEncoderOptions } from './encoder.ts';
export {
  buildHeadOnnx,
  chooseThreshold,
  evaluate,
  fitTemperature,
  HEAD_FILE,
  META_FILE,
  readHeadMeta,
  trainHeadWeights,
  trainTransformersHead,
  TransformersIntentModel,
} from './head.ts';
export type { HeadTrainOptions, HeadWeights, TrainedHead, TransformersHeadMeta } from './head.ts';
export { OnnxGraphBuilder, SeededRandom } from './onnx-builder.ts';
