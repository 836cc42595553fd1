// npm run bench:knowledge-retrieval — or node --import tsx bench/knowledge-retrieval.ts [--seed N]
//
// Measures the built-in model's sentence vector (`embedding` output, `model.embed`) as a retrieval
// space over the knowledge documents: trains on the intent catalogue (intents/*.yaml), with or
// without the knowledge chunks as unlabelled texts, embeds every chunk (`embeddingText(chunk)`) and
// the held-out questions of intents/knowledge/validation.yaml, and searches exactly by cosine.
// Prints one JSON line per variant: top-1 / top-5 over answerable questions, and the ROC AUC of
// the top score between answerable and unanswerable (expected: null) questions.
//
// Variants: `tfidf` (the sparse TF-IDF cosine itself, the lexical reference), `bag` (the
// TF-IDF-weighted embedding rows, trained by the intent loss where the catalogue uses them),
// `projection` (the fixed sparse random projection of the TF-IDF vector), `hidden` (the ReLU hidden
// layer) and mixes `mix-w` (cosine = w·projection + (1−w)·hidden), each computed from the trained
// weights in TypeScript; and `shipped`, the model.onnx `embedding` output through loadModel, which
// equals the mix the model was built with (hyperparameter sentenceLexicalWeight).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { loadCatalogue } from '../src/catalogue/index.ts';
import { readArtifact } from '../src/nlu/artifact.ts';
import { featurize, type FeaturizerConfig } from '../src/nlu/featurizer.ts';
import { createActivations, forwardActivations, projectFeatures, sentenceVector, type NetworkWeights } from '../src/nlu/network.ts';
import { retrievalQuality, type RetrievalPair } from '../src/nlu/retrieval-quality.ts';
import { loadModel } from '../src/nlu/runtime.ts';
import { trainModel } from '../src/fitting/train-builtin.ts';
import { embeddingText, loadKnowledge } from '../src/retrieval/knowledge.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const seedFlag = process.argv.indexOf('--seed');
const seed = seedFlag >= 0 ? Number(process.argv[seedFlag + 1]) : 1;

const round = (value: number | null) => (value === null ? null : Number(value.toFixed(4)));

/** Unit TF-IDF vector as a dense map (bucket → weight), for the lexical reference. */
function sparseCosineSpace(texts: readonly string[], config: FeaturizerConfig, idf: Float32Array): Float32Array[] {
  const features = texts.map((text) => featurize(text, config, idf));
  const used = new Map<number, number>();
  for (const feature of features) for (const id of feature.ids) if (!used.has(id)) used.set(id, used.size);
  return features.map((feature) => {
    const dense = new Float32Array(used.size);
    feature.ids.forEach((id, k) => (dense[used.get(id)!] = feature.weights[k]!));
    return dense;
  });
}

function activationsOf(network: NetworkWeights, texts: readonly string[], config: FeaturizerConfig, idf: Float32Array) {
  return texts.map((text) => {
    const features = featurize(text, config, idf);
    const rows = Array.from(features.ids, (bucket) => network.rowOfBucket[bucket] ?? -1);
    const activations = createActivations(network.shape);
    forwardActivations(network, rows, features.weights, activations);
    projectFeatures(network, rows, features.weights, activations.projected);
    return { bag: activations.bag.slice(), hidden: activations.hidden.slice(), projected: activations.projected.slice() };
  });
}

export async function main(): Promise<void> {
  const examples = (await loadCatalogue(join(ROOT, 'intents'))).trainingExamples();
  const chunks = await loadKnowledge(join(ROOT, 'intents', 'knowledge'));
  const chunkTexts = chunks.map(embeddingText);
  const sources = chunks.map((chunk) => chunk.source);
  const raw = parseYaml(await readFile(join(ROOT, 'intents', 'knowledge', 'validation.yaml'), 'utf8')) as { pairs: RetrievalPair[] };
  const pairs = raw.pairs.map((pair) => ({ query: pair.query, expected: pair.expected ?? null }));
  const queries = pairs.map((pair) => pair.query);

  for (const unlabelled of [false, true]) {
    // Without the knowledge chunks as unlabelled texts, their words have no rows: the old behaviour.
    const outDir = await mkdtemp(join(tmpdir(), 'frontdesk-knowledge-'));
    try {
      const result = await trainModel(examples, { outDir, seed, unlabelled: unlabelled ? chunkTexts : undefined });
      const { idf, meta } = await readArtifact(outDir);
      const report = (variant: string, chunkVectors: Float32Array[], queryVectors: Float32Array[]) => {
        const quality = retrievalQuality(chunkVectors, sources, queryVectors, pairs);
        console.log(
          JSON.stringify({
            variant,
            unlabelled,
            seed,
            top1: round(quality.top1),
            top5: round(quality.top5),
            auc: round(quality.auc),
            chance: round(quality.chance),
            answerable: quality.answerable,
            unanswerable: quality.unanswerable,
            chunks: chunks.length,
          }),
        );
      };
      const lexical = sparseCosineSpace([...chunkTexts, ...queries], meta.featurizer, idf);
      report('tfidf', lexical.slice(0, chunkTexts.length), lexical.slice(chunkTexts.length));
      const chunkActivations = activationsOf(result.network, chunkTexts, meta.featurizer, idf);
      const queryActivations = activationsOf(result.network, queries, meta.featurizer, idf);
      const bagSpace = (list: typeof chunkActivations) => list.map(({ bag, hidden }) => sentenceVector(bag, hidden, 1));
      report('bag', bagSpace(chunkActivations), bagSpace(queryActivations));
      for (const weight of [1, 0.8, 0.7, 0.6, 0.5, 0.4, 0]) {
        const space = (list: typeof chunkActivations) => list.map(({ projected, hidden }) => sentenceVector(projected, hidden, weight));
        report(weight === 1 ? 'projection' : weight === 0 ? 'hidden' : `mix-${weight}`, space(chunkActivations), space(queryActivations));
      }
      const model = await loadModel(outDir, { executionProviders: ['cpu'] });
      try {
        report(`shipped(w=${meta.sentenceLexicalWeight})`, await model.embed(chunkTexts), await model.embed(queries));
      } finally {
        await model.close();
      }
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  }
}

await main();
