// A stand-in sentence encoder for retrieval tests: no model to train, and related word forms overlap.

export const TOY_DIMENSION = 256;

/** Hashed character trigrams of each word, L2-normalized. */
export function toyEncode(text: string): Float32Array {
  const vector = new Float32Array(TOY_DIMENSION);
  for (const word of text.toLowerCase().match(/\p{L}+|\p{N}+/gu) ?? []) {
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) {
      let hash = 2166136261;
      for (const char of padded.slice(i, i + 3)) hash = Math.imul(hash ^ (char.codePointAt(0) as number), 16777619);
      const slot = (hash >>> 0) % TOY_DIMENSION;
      vector[slot] = (vector[slot] as number) + 1;
    }
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((value) => value / norm);
}
