// The BANKING77-OOS release (jianguoz/Few-Shot-Intent-Detection) pairs some lines of `seq.in` with
// the wrong line of `label`: near the boundaries of many intent blocks, a few messages carry a
// neighbouring block's label. Every one of its messages is a BANKING77 message, so BANKING77's own label
// says what each one really is. Measured on ../shared/datasets: 366 of 5,905 in-scope train
// labels, 58 of 1,506 valid and 143 of 2,000 test (7.2%) disagree with BANKING77, and 51 of the
// 1,080 id-oos test messages are messages of the 50 in-scope intents.
import { OUT_OF_SCOPE, type LabelledExample } from '../src/nlu/types.ts';
import { normalizedKey as key } from '../src/corpus/training-set.ts';

export interface Relabelled {
  examples: LabelledExample[];
  /** Messages whose label changed. */
  changed: number;
}

/**
 * Gives each message its label in `reference` (BANKING77): that intent when it is one of
 * `inScope`, else out of scope. Messages that `reference` lacks keep the label they have.
 */
export function relabelFromReference(examples: readonly LabelledExample[], reference: readonly LabelledExample[], inScope: ReadonlySet<string>): Relabelled {
  const referenceIntent = new Map<string, string>();
  for (const example of reference) if (!referenceIntent.has(key(example.text))) referenceIntent.set(key(example.text), example.intent);
  let changed = 0;
  const relabelled = examples.map((example) => {
    const intent = referenceIntent.get(key(example.text));
    if (intent === undefined) return example;
    const repaired = inScope.has(intent) ? intent : OUT_OF_SCOPE;
    if (repaired === example.intent) return example;
    changed++;
    return { ...example, intent: repaired };
  });
  return { examples: relabelled, changed };
}
