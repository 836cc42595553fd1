// Seeded randomness, so that training is reproducible given a seed.

/** mulberry32: a small, fast 32-bit generator; returns floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Normal deviate by Box–Muller. */
export function normalDeviate(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export function shuffleInPlace<T>(items: T[] | Int32Array, random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
}

/**
 * Splits items into (rest, held out) keeping each group's share: `fraction` of every group is held
 * out, at least one item of each group that has two or more, none of a group with a single item
 * (it is needed for training).
 */
export function stratifiedSplit<T>(items: readonly T[], groupOf: (item: T) => string, fraction: number, random: () => number): { rest: T[]; heldOut: T[] } {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = groupOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  const rest: T[] = [];
  const heldOut: T[] = [];
  for (const key of [...groups.keys()].sort()) {
    const group = groups.get(key)!;
    shuffleInPlace(group, random);
    const count = group.length < 2 ? 0 : Math.max(1, Math.round(group.length * fraction));
    heldOut.push(...group.slice(0, count));
    rest.push(...group.slice(count));
  }
  return { rest, heldOut };
}
