import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { chunkMarkdown, loadKnowledge, slugify } from '../../src/retrieval/knowledge.ts';

const KNOWLEDGE_DIR = fileURLToPath(new URL('../../intents/knowledge/', import.meta.url));

describe('chunkMarkdown', () => {
  const faq = [
    '# Shipping',
    '',
    'We ship from Ohio.',
    '',
    '## How much does shipping cost?',
    '',
    'Standard shipping is $5.95.',
    '',
    'It is free from $50.',
    '',
    '## Do you ship to PO boxes?',
    'Yes, by USPS.',
  ].join('\n');

  test('makes one chunk per FAQ entry, plus the introduction', () => {
    const chunks = chunkMarkdown('shipping.md', faq);
    assert.deepEqual(
      chunks.map(({ source, title, text }) => ({ source, title, text })),
      [
        { source: 'knowledge/shipping.md#shipping', title: 'Shipping', text: 'We ship from Ohio.' },
        {
          source: 'knowledge/shipping.md#how-much-does-shipping-cost',
          title: 'How much does shipping cost?',
          text: 'Standard shipping is $5.95.\n\nIt is free from $50.',
        },
        { source: 'knowledge/shipping.md#do-you-ship-to-po-boxes', title: 'Do you ship to PO boxes?', text: 'Yes, by USPS.' },
      ],
    );
  });

  test('hashes title and text, so only changed chunks get a new hash', () => {
    const [, before] = chunkMarkdown('shipping.md', faq);
    const [, after] = chunkMarkdown('shipping.md', faq.replace('$5.95', '$6.95'));
    const [, unchanged] = chunkMarkdown('renamed.md', faq);
    assert.match(before?.contentHash ?? '', /^[0-9a-f]{64}$/);
    assert.notEqual(before?.contentHash, after?.contentHash);
    assert.equal(before?.contentHash, unchanged?.contentHash);
  });

  test('nests sub-headings in the title and skips sections without text', () => {
    const markdown = '# Care\n\n## Cookware\n\n### Cast iron\n\nOil it after washing.\n';
    const chunks = chunkMarkdown('care.md', markdown);
    assert.deepEqual(
      chunks.map(({ source, title }) => ({ source, title })),
      [{ source: 'knowledge/care.md#cast-iron', title: 'Cookware › Cast iron' }],
    );
  });

  test('gives repeated headings distinct anchors', () => {
    const markdown = '# Doc\n\n## Returns\n\nOne.\n\n## Returns\n\nTwo.\n';
    const sources = chunkMarkdown('doc.md', markdown).map((chunk) => chunk.source);
    assert.deepEqual(sources, ['knowledge/doc.md#returns', 'knowledge/doc.md#returns-1']);
  });

  test('ignores heading-like lines inside code fences', () => {
    const markdown = '# Doc\n\n## Example\n\n```\n## not a heading\n```\n';
    const chunks = chunkMarkdown('doc.md', markdown);
    assert.equal(chunks.length, 1);
    assert.match(chunks[0]?.text ?? '', /## not a heading/);
  });

  test('splits a long section between paragraphs, each part keeping the heading', () => {
    const paragraph = (n: number) => `Paragraph ${n}. ${'Words to fill the line. '.repeat(12).trim()}`;
    const body = Array.from({ length: 6 }, (_, i) => paragraph(i + 1)).join('\n\n');
    const chunks = chunkMarkdown('long.md', `# Long\n\n## Size guide\n\n${body}\n`, { maxChars: 800 });
    assert.ok(chunks.length >= 2);
    assert.ok(chunks.every((chunk) => chunk.title === 'Size guide' && chunk.text.length <= 800));
    assert.deepEqual(
      chunks.map((chunk) => chunk.source),
      chunks.map((_, i) => `knowledge/long.md#size-guide${i === 0 ? '' : `:${i + 1}`}`),
    );
    assert.equal(chunks.map((chunk) => chunk.text).join('\n\n'), body, 'nothing lost, split on paragraph breaks');
  });

  test('breaks an oversized paragraph at sentences, and a sentence without breaks at spaces', () => {
    const sentences = 'This sentence is short. '.repeat(10).trim();
    const bySentence = chunkMarkdown('a.md', `## A\n\n${sentences}`, { maxChars: 60 });
    assert.ok(bySentence.every((chunk) => chunk.text.length <= 60 && chunk.text.endsWith('.')));

    const unbroken = 'word '.repeat(50).trim();
    const byWord = chunkMarkdown('b.md', `## B\n\n${unbroken}`, { maxChars: 60 });
    assert.ok(byWord.every((chunk) => chunk.text.length <= 60));
    assert.equal(byWord.map((chunk) => chunk.text).join(' '), unbroken);
  });

  test('slugify keeps letters of any script and drops punctuation', () => {
    assert.equal(slugify('Why was my payment declined?'), 'why-was-my-payment-declined');
    assert.equal(slugify('退货 政策'), '退货-政策');
  });
});

describe('the knowledge folder', () => {
  test('every document parses into non-empty chunks with unique sources', async () => {
    const files = (await readdir(KNOWLEDGE_DIR)).filter((name) => name.endsWith('.md'));
    assert.ok(files.length >= 8 && files.length <= 12, `${files.length} documents`);

    const chunks = await loadKnowledge(KNOWLEDGE_DIR);
    const sources = chunks.map((chunk) => chunk.source);
    assert.equal(new Set(sources).size, sources.length, 'sources are unique');
    for (const chunk of chunks) {
      assert.ok(chunk.text.trim().length > 0, `${chunk.source} has text`);
      assert.ok(chunk.title.trim().length > 0, `${chunk.source} has a title`);
      assert.ok(chunk.text.length <= 800, `${chunk.source} fits in one chunk`);
    }
    for (const file of files) {
      assert.ok(sources.some((source) => source.startsWith(`knowledge/${file}#`)), `${file} has chunks`);
    }
  });

  test('every FAQ entry becomes a chunk titled by its question', async () => {
    const chunks = await loadKnowledge(KNOWLEDGE_DIR);
    const titles = new Set(chunks.map((chunk) => chunk.title));
    let questions = 0;
    for (const file of await readdir(KNOWLEDGE_DIR)) {
      const markdown = await readFile(new URL(file, `file://${KNOWLEDGE_DIR}`), 'utf8');
      for (const [, question] of markdown.matchAll(/^## (.+)$/gm)) {
        questions += 1;
        assert.ok(titles.has(question as string), `chunk for "${question}" in ${file}`);
      }
    }
    // The starter documents: English sections plus German, Chinese, French and Spanish ones for the topics no intent covers.
    assert.ok(questions >= 100 && questions <= 200, `${questions} FAQ entries`);
  });
});
