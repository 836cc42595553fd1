import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_FEATURIZER_CONFIG, featurize, fitIdf, hashedNgramCounts, normalizeText } from '../../src/nlu/featurizer.ts';

const config = { ...DEFAULT_FEATURIZER_CONFIG, buckets: 1 << 16 };

describe('featurizer', () => {
  it('normalizes width and case (NFKC, lowercase)', () => {
    assert.equal(normalizeText('ＣＡＲＤ Arrived'), 'card arrived');
    assert.deepEqual(hashedNgramCounts('ＣＡＲＤ', config), hashedNgramCounts('card', config));
  });

  it('hashes deterministically into the bucket range', () => {
    const counts = hashedNgramCounts('Where is my new card?', config);
    assert.deepEqual(counts, hashedNgramCounts('Where is my new card?', config));
    for (const bucket of counts.keys()) assert.ok(bucket >= 0 && bucket < config.buckets);
    // 5 words + 4 bigrams + char n-grams of "<where>" etc.: far more than the words alone.
    assert.ok(counts.size > 40);
  });

  it('cuts Chinese into character n-grams without a segmenter', () => {
    const counts = hashedNgramCounts('我要听稻香', config);
    // 5 unigrams + 4 bigrams + 3 trigrams of characters, plus 4 character "word" bigrams that coincide
    // with the character bigrams: at least 12 distinct features.
    assert.ok(counts.size >= 12, `got ${counts.size}`);
    const idf = fitIdf(['我要听稻香', '上海飞往北京的航班'], config);
    const shared = featurize('我要听周杰伦的稻香', config, idf);
    assert.ok(shared.ids.length > 0, 'known characters of an unseen sentence still give features');
  });

  it('weights by sublinear TF-IDF, unit length, dropping buckets never seen in training', () => {
    const idf = fitIdf(['card arrived', 'card lost', 'exchange rate'], config);
    const features = featurize('card card arrived yesterday', config, idf);
    const norm = Math.hypot(...features.weights);
    assert.ok(Math.abs(norm - 1) < 1e-5);
    for (const id of features.ids) assert.ok(idf[id]! > 0);
    assert.equal(featurize('zzzz qqqq', config, idf).ids.length, 0);
    // A word in one document of three outweighs one in two (the word unigram is hashed under "w").
    const wordBucket = (word: string) => [...hashedNgramCounts(word, config).keys()][0]!;
    assert.ok(idf[wordBucket('arrived')]! > idf[wordBucket('card')]!);
  });
});
