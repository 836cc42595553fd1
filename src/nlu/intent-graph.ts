// The built-in intent network as ONE ONNX graph:
//   ids int64 [batch, length], weights float [batch, length] (padding: weight 0)
//   → probs float [batch, classes] (temperature-calibrated softmax)
//   → embedding float [batch, projection + hidden] (unit sentence vector for retrieval: the normalized
//     random projection of the TF-IDF vector and the normalized hidden layer, concatenated with
//     weights √w and √(1−w), w = sentenceLexicalWeight)
// logits = deep path (bag → ReLU hidden → output layer) + wide path (sparse linear over the same
// TF-IDF features), when the network has one.
import type { NetworkWeights } from './network.ts';
import { attribute, OnnxGraphBuilder } from './onnx-graph.ts';

export const GRAPH_INPUTS = { ids: 'ids', weights: 'weights' } as const;
export const GRAPH_OUTPUTS = { probs: 'probs', embedding: 'embedding' } as const;

export function buildIntentGraph(network: NetworkWeights, temperature: number): Uint8Array {
  const { buckets, vocabulary, embedding: width, hidden, classes } = network.shape;
  const graph = new OnnxGraphBuilder('frontdesk_intent');
  const ids = graph.input(GRAPH_INPUTS.ids, 'int64', ['batch', 'length']);
  const featureWeights = graph.input(GRAPH_INPUTS.weights, 'float32', ['batch', 'length']);

  // Only buckets seen in training have a row; every other bucket maps to an extra all-zero row.
  const zeroRow = vocabulary;
  const rowOfBucket = graph.constant('row_of_bucket', [buckets], Int32Array.from(network.rowOfBucket, (row) => (row < 0 ? zeroRow : row)));
  const table = new Float32Array((vocabulary + 1) * width);
  table.set(network.embedding);
  const embeddingTable = graph.constant('embedding_table', [vocabulary + 1, width], table);

  const rows = graph.node('Gather', [rowOfBucket, ids], { axis: attribute.int(0) });
  const vectors = graph.node('Gather', [embeddingTable, rows], { axis: attribute.int(0) });
  const lastAxis = graph.constant('axis_2', [1], BigInt64Array.of(2n));
  const sequenceAxis = graph.constant('axis_1', [1], BigInt64Array.of(1n));
  const weighted = graph.node('Mul', [vectors, graph.node('Unsqueeze', [featureWeights, lastAxis])]);
  const bag = graph.node('ReduceSum', [weighted, sequenceAxis], { keepdims: attribute.int(0) });

  const hiddenWeight = graph.constant('hidden_weight', [width, hidden], network.hiddenWeight);
  const hiddenBias = graph.constant('hidden_bias', [hidden], network.hiddenBias);
  const hiddenActivation = graph.node('Relu', [graph.node('Gemm', [bag, hiddenWeight, hiddenBias])]);

  const outputWeight = graph.constant('output_weight', [hidden, classes], network.outputWeight);
  const outputBias = graph.constant('output_bias', [classes], network.outputBias);
  let logits = graph.node('Gemm', [hiddenActivation, outputWeight, outputBias]);
  if (network.linear.length > 0) {
    // The wide path shares the row lookup: a second table of per-class weights, one row per bucket.
    const linearTable = new Float32Array((vocabulary + 1) * classes);
    linearTable.set(network.linear);
    const linearRows = graph.node('Gather', [graph.constant('linear_table', [vocabulary + 1, classes], linearTable), rows], { axis: attribute.int(0) });
    const linearWeighted = graph.node('Mul', [linearRows, graph.node('Unsqueeze', [featureWeights, lastAxis])]);
    logits = graph.node('Add', [logits, graph.node('ReduceSum', [linearWeighted, sequenceAxis], { keepdims: attribute.int(0) })]);
  }
  const inverseTemperature = graph.constant('inverse_temperature', [1], Float32Array.of(1 / temperature));
  graph.node('Softmax', [graph.node('Mul', [logits, inverseTemperature])], { axis: attribute.int(-1) }, GRAPH_OUTPUTS.probs);
  graph.output(GRAPH_OUTPUTS.probs, 'float32', ['batch', classes]);

  const normFloor = graph.constant('norm_floor', [1], Float32Array.of(1e-12));
  const unit = (value: string, scale: number, name: string) => {
    const squaredNorm = graph.node('ReduceSum', [graph.node('Mul', [value, value]), sequenceAxis], { keepdims: attribute.int(1) });
    const norm = graph.node('Max', [graph.node('Sqrt', [squaredNorm]), normFloor]);
    return graph.node('Mul', [graph.node('Div', [value, norm]), graph.constant(name, [1], Float32Array.of(scale))]);
  };
  // The lexical part: a fixed sparse random projection (int8 −1/0/+1) of the TF-IDF vector.
  const projectionWidth = network.shape.projection;
  const projectionTable = new Int8Array((vocabulary + 1) * projectionWidth);
  projectionTable.set(network.projection);
  const projectedRows = graph.node('Cast', [graph.node('Gather', [graph.constant('projection_table', [vocabulary + 1, projectionWidth], projectionTable), rows], { axis: attribute.int(0) })], {
    to: attribute.int(1), // TensorProto.FLOAT
  });
  const projected = graph.node('ReduceSum', [graph.node('Mul', [projectedRows, graph.node('Unsqueeze', [featureWeights, lastAxis])]), sequenceAxis], { keepdims: attribute.int(0) });
  const lexicalWeight = network.sentenceLexicalWeight;
  const parts = [unit(projected, Math.sqrt(lexicalWeight), 'lexical_scale'), unit(hiddenActivation, Math.sqrt(1 - lexicalWeight), 'hidden_scale')];
  // Renormalized so that the vector is unit length even when one part is all zeros.
  graph.node('Identity', [unit(graph.node('Concat', parts, { axis: attribute.int(1) }), 1, 'sentence_scale')], {}, GRAPH_OUTPUTS.embedding);
  graph.output(GRAPH_OUTPUTS.embedding, 'float32', ['batch', projectionWidth + hidden]);

  return graph.toBytes({ 'frontdesk.encoder': 'builtin' });
}
