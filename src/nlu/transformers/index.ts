// The pretrained-encoder back-end (Transformers.js) and the serving of its ONNX classification head.
export { EncoderError, isLocalModelRef, TransformersEncoder } from './encoder.ts';
export type { EncoderDtype, EncoderErrorCode, Pooling, SentenceEncoder, TransformersEncoderOptions } from './encoder.ts';
export { HEAD_FILE, META_FILE, readHeadMeta, TransformersIntentModel } from './head.ts';
export type { TransformersHeadMeta } from './head.ts';
