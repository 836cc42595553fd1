// Knowledge documents (Markdown) → retrievable chunks.
//
// Every heading below the document title (`## …` and deeper) starts a section; a FAQ entry, a
// `## question` followed by its answer, is therefore exactly one chunk. A section longer than
// `maxChars` is split between paragraphs (then sentences, then words, for oversized paragraphs);
// every part keeps the section's title, which is embedded with it, so a part read alone still
// says what it is about.
import { createHash } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface KnowledgeChunk {
  /** `knowledge/<file>#<heading-slug>`, with `:<n>` for the n-th part of a split section; unique. */
  source: string;
  /** The section heading, preceded by its parent headings (`Parent › Child`) when nested. */
  title: string;
  /** The section body (Markdown), at most `maxChars` long. */
  text: string;
  /** sha256 (hex) of title and text: tells a changed chunk from an unchanged one. */
  contentHash: string;
}

export interface ChunkOptions {
  /** Longest body of one chunk, in characters. */
  maxChars: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxChars: 800 };

const SOURCE_PREFIX = 'knowledge/';
const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;

interface Section {
  headingPath: string[];
  slug: string;
  lines: string[];
}

/** The text a chunk is embedded and searched by: its title gives a split part its context. */
export function embeddingText(chunk: Pick<KnowledgeChunk, 'title' | 'text'>): string {
  return `${chunk.title}\n${chunk.text}`;
}

/** GitHub-style heading anchor: lower case, punctuation dropped, spaces to hyphens; keeps non-Latin letters. */
export function slugify(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s+/g, '-');
}

/** Chunks one Markdown document; `file` is its path relative to the knowledge folder. */
export function chunkMarkdown(
  file: string,
  markdown: string,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): KnowledgeChunk[] {
  const chunks: KnowledgeChunk[] = [];
  for (const section of splitSections(file, markdown)) {
    const body = section.lines.join('\n').replace(/\n{3,}/g, '\n\n').trim();
    if (body === '') continue;
    const title = section.headingPath.join(' › ');
    splitBody(body, options.maxChars).forEach((text, part) => {
      chunks.push({
        source: `${SOURCE_PREFIX}${file}#${section.slug}${part === 0 ? '' : `:${part + 1}`}`,
        title,
        text,
        contentHash: createHash('sha256').update(`${title}\n\n${text}`).digest('hex'),
      });
    });
  }
  return chunks;
}

/** Reads and chunks every `.md` file under `dir` (recursively), in a stable order. */
export async function loadKnowledge(
  dir: string,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): Promise<KnowledgeChunk[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries
    .filter((entry) => entry.isFile() && entry.name.toLowerCase().endsWith('.md'))
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  return chunkDocuments(await Promise.all(files.map(async (file) => ({ file, text: await readFile(join(dir, file), 'utf8') }))), options);
}

/** Chunks knowledge documents wherever they are kept (the folder, Postgres); `file` is the path relative to the knowledge folder. */
export function chunkDocuments(
  documents: ReadonlyArray<{ file: string; text: string }>,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): KnowledgeChunk[] {
  return [...documents]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .flatMap((document) => chunkMarkdown(document.file, document.text, options));
}

function splitSections(file: string, markdown: string): Section[] {
  const fileTitle = file.replace(/\.md$/i, '');
  let documentTitle: string | undefined;
  const usedSlugs = new Map<string, number>();
  const uniqueSlug = (heading: string) => {
    const base = slugify(heading) || 'section';
    const seen = usedSlugs.get(base) ?? 0;
    usedSlugs.set(base, seen + 1);
    return seen === 0 ? base : `${base}-${seen}`; // GitHub numbers repeated anchors the same way
  };

  // Text before the first section heading is the document's introduction.
  let current: Section = { headingPath: [fileTitle], slug: '', lines: [] };
  const sections = [current];
  const openHeadings: { level: number; text: string }[] = [];
  let inFence = false;
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (!heading) {
      current.lines.push(line);
      continue;
    }
    const level = (heading[1] as string).length;
    const text = heading[2] as string;
    const beforeFirstSection = sections.length === 1;
    if (level === 1 && beforeFirstSection && documentTitle === undefined) {
      documentTitle = text;
      current.headingPath = [text];
      continue;
    }
    // The introduction claims its anchor first, as it comes first in the document.
    if (beforeFirstSection) current.slug = uniqueSlug(documentTitle ?? fileTitle);
    while (openHeadings.length > 0 && (openHeadings.at(-1) as { level: number }).level >= level) openHeadings.pop();
    openHeadings.push({ level, text });
    current = { headingPath: openHeadings.map((open) => open.text), slug: uniqueSlug(text), lines: [] };
    sections.push(current);
  }
  if (sections.length === 1) current.slug = uniqueSlug(documentTitle ?? fileTitle);
  return sections;
}

/** Packs paragraphs into parts of at most `maxChars`, breaking oversized paragraphs further. */
function splitBody(body: string, maxChars: number): string[] {
  if (body.length <= maxChars) return [body];
  const pieces = body.split(/\n\s*\n/).flatMap((paragraph) => breakDown(paragraph.trim(), maxChars));
  return packPieces(pieces, '\n\n', maxChars);
}

function breakDown(paragraph: string, maxChars: number): string[] {
  if (paragraph.length <= maxChars) return [paragraph];
  const sentences = paragraph.split(/(?<=[.!?。！？])\s+/);
  if (sentences.length > 1) {
    return packPieces(sentences.flatMap((sentence) => breakDown(sentence, maxChars)), ' ', maxChars);
  }
  return packPieces(hardWrap(paragraph, maxChars), ' ', maxChars);
}

/** Splits text without sentence breaks at whitespace, or mid-word when a word alone is too long. */
function hardWrap(text: string, maxChars: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const space = rest.lastIndexOf(' ', maxChars);
    const cut = space > 0 ? space : maxChars;
    pieces.push(rest.slice(0, cut).trim());
    rest = rest.slice(cut).trim();
  }
  if (rest !== '') pieces.push(rest);
  return pieces;
}

function packPieces(pieces: string[], separator: string, maxChars: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (piece === '') continue;
    if (current === '') current = piece;
    else if (current.length + separator.length + piece.length <= maxChars) current += separator + piece;
    else {
      parts.push(current);
      current = piece;
    }
  }
  if (current !== '') parts.push(current);
  return parts;
}
