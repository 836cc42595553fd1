// The representation learned from the requests themselves: the LSA map refined by contrastive
// training (src/fitting/contrastive-trainer.ts) on the unlabelled requests. A request and a view of
// one of its nearest neighbours (in the current map) are a positive pair, the batch's other
// requests the negatives, so requests move towards their neighbourhood and away from the rest; the
// neighbours are found again in the refined map before each round. The map stays linear in the
// TF-IDF vector ([columns, rank], as LSA's components), so every text, clustered or assigned later,
// goes through it the same way.
import { trainContrastive } from '../fitting/contrastive-trainer.ts';
import { nearestNeighbours } from './graph.ts';
import { normalizeRows, sparseTimesDense, type DenseMatrix } from './linalg.ts';
import type { SparseMatrix } from './text-features.ts';

export interface EncoderOptions {
  /** Rounds of neighbours found again, then contrastive epochs (trainContrastive's default). */
  rounds: number;
  /** Neighbours of each request among which its positive is drawn. */
  neighbours: number;
  seed: number;
  onRound?: (done: number, total: number) => void;
}

export const DEFAULT_ENCODER = { rounds: 5, neighbours: 10 };

/** The components refined on `texts` (the TF-IDF rows of the requests clustered). */
export function contrastiveComponents(texts: SparseMatrix, components: DenseMatrix, options: EncoderOptions): DenseMatrix {
  const width = components.columns;
  // Rows scaled to a mean length of 1 (the map's cosines are unchanged): AdaGrad's steps are of the
  // order of the learning rate per entry, and LSA's rows are tiny.
  let lengths = 0;
  for (let row = 0; row < components.rows; row++) {
    let squared = 0;
    for (let j = 0; j < width; j++) squared += components.data[row * width + j]! ** 2;
    lengths += Math.sqrt(squared);
  }
  const scale = lengths > 0 ? components.rows / lengths : 1;
  let table = Float32Array.from(components.data, (value) => value * scale);
  for (let round = 0; round < options.rounds; round++) {
    const embedding = normalizeRows(sparseTimesDense(texts, { rows: components.rows, columns: width, data: table }));
    const neighbours = nearestNeighbours(embedding, options.neighbours);
    table = trainContrastive(texts, { width, initial: table, partners: { k: neighbours.k, index: neighbours.index }, seed: options.seed + round });
    options.onRound?.(round + 1, options.rounds);
  }
  return { rows: components.rows, columns: width, data: table };
}
