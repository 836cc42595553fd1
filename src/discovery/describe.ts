// What a reviewer sees of a cluster: a name and a label from its distinctive words (class-based
// TF-IDF: frequent in the cluster, rare in the others), its most typical requests (closest to its
// centre, near-duplicates skipped, redacted), and candidate answers mined from the agents' replies
// to its requests (the replies most alike to the cluster's other replies, personal details redacted).
import { redact } from '../corpus/redact.ts';
import { normalizedKey } from '../corpus/training-set.ts';
import { wordsOf } from './text-features.ts';

/** Words that say nothing about a request, in the languages the bot speaks. */
const FUNCTION_WORDS = new Set(
  (
    'i me my mine myself we our you your he she it its they them their a an the and or but if of to in on at for from by with about as into is am are was were be been being ' +
    'have has had do does did doing can could would should will shall may might must not no yes this that these those there here what which who whom how why when where ' +
    'hi hello hey please thanks thank so just also too very really some any all one get got need want like im i\'m it\'s dont don\'t cant can\'t would\'ve ' +
    'ich mich mir mein meine meiner meinen du sie er es wir ihr und oder aber nicht kein keine ein eine einen der die das den dem des ist sind war bin habe hat haben ' +
    'zu im in am an auf für mit von bei wie was wo wann warum kann können möchte bitte danke hallo ja nein noch schon auch ' +
    'le la les un une des de du et ou est je tu il elle nous vous mon ma mes pour avec dans sur pas ne que qui ' +
    'el la los las un una de del y o es yo tu mi mis por para con en no que ' +
    '我 你 的 了 吗 是 在 有 和 要 我的 请 吧 呢 啊'
  ).split(/\s+/),
);

export interface ClusterWords {
  keywords: string[];
  name: string;
  label: string;
}

function transliterate(word: string): string {
  return word
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .replace(/_+/g, '_');
}

/**
 * Distinctive words and two-word phrases of every cluster: c-TF-IDF, tf(term, cluster) ·
 * log(1 + average words per cluster / tf(term, all)), function words left out.
 */
export function clusterWords(texts: readonly string[], weights: ArrayLike<number>, labels: ArrayLike<number>, clusters: number, top = 6): ClusterWords[] {
  const perCluster: Array<Map<string, number>> = Array.from({ length: clusters }, () => new Map());
  const total = new Map<string, number>();
  let words = 0;
  for (let i = 0; i < texts.length; i++) {
    const c = labels[i]!;
    if (c < 0) continue;
    const w = weights[i]!;
    const tokens = wordsOf(texts[i]!);
    const terms = new Set<string>();
    tokens.forEach((token, t) => {
      if (!FUNCTION_WORDS.has(token) && !/^\d+$/.test(token) && token.length > 1) terms.add(token);
      const next = tokens[t + 1];
      if (next !== undefined && !FUNCTION_WORDS.has(token) && !FUNCTION_WORDS.has(next) && !/\d/.test(token + next)) terms.add(`${token} ${next}`);
    });
    words += tokens.length * w;
    for (const term of terms) {
      perCluster[c]!.set(term, (perCluster[c]!.get(term) ?? 0) + w);
      total.set(term, (total.get(term) ?? 0) + w);
    }
  }
  const average = words / Math.max(1, clusters);
  return perCluster.map((counts, c) => {
    const scored = [...counts]
      .map(([term, count]) => ({ term, score: count * Math.log(1 + average / total.get(term)!) * (term.includes(' ') ? 1.2 : 1) }))
      .sort((a, b) => b.score - a.score || (a.term < b.term ? -1 : 1));
    // A phrase makes its own words redundant.
    const keywords: string[] = [];
    for (const { term } of scored) {
      if (keywords.length >= top) break;
      if (keywords.some((kept) => kept.split(' ').includes(term) || term.split(' ').every((part) => kept.split(' ').includes(part)))) continue;
      keywords.push(term);
    }
    const nameWords = keywords.slice(0, 2).flatMap((term) => term.split(' ')).slice(0, 3);
    const name = transliterate(nameWords.join(' ')).split('_').filter(Boolean).slice(0, 4).join('_');
    const labelText = keywords.slice(0, 2).join(', ');
    const label = labelText.length > 0 ? (labelText[0]!.toUpperCase() + labelText.slice(1)).slice(0, 40) : `Group ${c + 1}`;
    return { keywords, name: /^[a-z]/.test(name) ? name : `intent_${c + 1}${name ? `_${name}` : ''}`, label };
  });
}

/** Unique, valid intent names: a repeated name gets _2, _3, … */
export function uniqueNames(names: readonly string[], taken: ReadonlySet<string> = new Set()): string[] {
  const used = new Set(taken);
  return names.map((name) => {
    let candidate = name;
    for (let n = 2; used.has(candidate); n++) candidate = `${name}_${n}`;
    used.add(candidate);
    return candidate;
  });
}

function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const w of a) if (b.has(w)) shared++;
  const union = a.size + b.size - shared;
  return union === 0 ? 1 : shared / union;
}

/**
 * The most typical texts among `ranked` (best first): redacted, one per normalized text, and none
 * that shares more than `maxSimilarity` of its words with one already taken.
 */
export function typicalExamples(ranked: readonly string[], count: number, maxSimilarity = 0.8): string[] {
  const out: string[] = [];
  const keys = new Set<string>();
  const wordSets: Array<Set<string>> = [];
  for (const raw of ranked) {
    if (out.length >= count) break;
    const text = redact(raw).trim();
    const key = normalizedKey(text).replace(/[\p{P}]+$/u, '');
    if (key === '' || keys.has(key)) continue;
    const words = new Set(wordsOf(text));
    if (wordSets.some((other) => jaccard(words, other) > maxSimilarity)) continue;
    keys.add(key);
    wordSets.push(words);
    out.push(text);
  }
  return out;
}

export interface MinedAnswer {
  text: string;
  /** Share of the cluster's conversations with a reply like it. */
  support: number;
}

const QUESTION = /[?？]\s*$/;
const GREETING = /^(?:hi|hello|hey|good (?:morning|afternoon|evening)|thanks?|thank you|you're welcome|no problem|hallo|guten tag|danke|你好|谢谢)\b/i;
const MIN_ANSWER_WORDS = 6;

/**
 * Candidate answers from the agents' replies to a cluster's requests: each reply (redacted) is
 * scored by how many of the cluster's conversations have a reply sharing most of its words
 * (support), then questions back to the visitor ("could you give me your order number?") and
 * greetings are left out, and near-duplicates of a better answer are skipped.
 */
export function mineAnswers(repliesPerRequest: readonly (readonly string[])[], count = 3): MinedAnswer[] {
  const conversations = repliesPerRequest.length;
  if (conversations === 0) return [];
  const candidates = new Map<string, { text: string; words: Set<string>; owners: Set<number> }>();
  repliesPerRequest.forEach((replies, owner) => {
    for (const reply of replies) {
      const text = redact(reply).replace(/\s+/g, ' ').trim();
      if (text.length === 0 || text.length > 1000 || QUESTION.test(text) || GREETING.test(text)) continue;
      const words = new Set(wordsOf(text).filter((word) => !FUNCTION_WORDS.has(word)));
      if (wordsOf(text).length < MIN_ANSWER_WORDS || words.size < 3) continue;
      const key = normalizedKey(text);
      const entry = candidates.get(key) ?? { text, words, owners: new Set<number>() };
      entry.owners.add(owner);
      candidates.set(key, entry);
    }
  });
  const list = [...candidates.values()];
  // Support: conversations with this reply or one sharing at least half of its words.
  const bounded = list.slice(0, 600);
  const scored = bounded.map((candidate) => {
    const owners = new Set(candidate.owners);
    for (const other of bounded) if (other !== candidate && jaccard(candidate.words, other.words) >= 0.5) for (const owner of other.owners) owners.add(owner);
    return { candidate, support: owners.size / conversations };
  });
  scored.sort((a, b) => b.support - a.support || a.candidate.text.length - b.candidate.text.length || (a.candidate.text < b.candidate.text ? -1 : 1));
  const out: MinedAnswer[] = [];
  for (const { candidate, support } of scored) {
    if (out.length >= count) break;
    if (out.some((answer) => jaccard(new Set(wordsOf(answer.text)), candidate.words) >= 0.6)) continue;
    out.push({ text: candidate.text, support: Number(support.toFixed(3)) });
  }
  return out;
}
