/**
 * The multilingual DEVELOPMENT set (fixtures/multilingual-dev.yaml): the same measurement as the
 * exam (a real server trained from intents/ at start, one fresh conversation per message, no language
 * sent by the client), on messages written for tuning the catalogue, its out-of-scope examples and
 * the knowledge documents. Tune against this set; the exam stays the held-out check.
 *
 * Prints one JSON line with the score overall, per language and per category (intent, knowledge,
 * handoff, clarify), then every miss. `FRONTDESK_SCORE_FIXTURE=multilingual-exam.yaml` scores
 * another fixture of the same format the same way (to report the exam per category; the floors
 * below apply only to the dev set). The floors guard against regressions: the dev set is small and
 * one seed's model moves it by a few messages with any catalogue change (83% at the time of writing,
 * 66% before the out-of-scope examples and the per-language knowledge sections).
 *
 *   npm test -- test/dialogue/multilingual-dev.test.ts
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadCatalogue, normalizeExample } from '../../src/catalogue/index.ts';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { LANGUAGES, readFixture, sensible, type Language, type Reply } from './exam-scoring.ts';

const CATEGORIES = ['intent', 'knowledge', 'handoff', 'clarify'] as const;
type Category = (typeof CATEGORIES)[number];

const DEV_FIXTURE = 'multilingual-dev.yaml';
const fixtureName = process.env.FRONTDESK_SCORE_FIXTURE ?? DEV_FIXTURE;
const isDev = fixtureName === DEV_FIXTURE;
const fixture = readFixture(fixtureName);
const catalogue = await loadCatalogue('intents');

function categoryOf(expected: string): Category {
  const first = expected.split('|')[0]!;
  if (first === 'clarify') return 'clarify';
  if (first.startsWith('knowledge:')) return 'knowledge';
  return catalogue.get(first)?.handoff ? 'handoff' : 'intent';
}

describe(`multilingual scores on ${fixtureName}`, { timeout: 900_000 }, () => {
  let server: RunningServer;
  const dataDir = temporaryDirectory('frontdesk-dev-');

  before(async () => {
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path, MESSAGE_BURST: '60' }));
  });

  after(async () => {
    await server?.close();
    dataDir.remove();
  });

  test('the development set is written separately from the catalogue and the exam', { skip: !isDev }, () => {
    const examples = new Set(catalogue.trainingExamples().map((example) => normalizeExample(example.text)));
    const exam = readFixture('multilingual-exam.yaml');
    const examTexts = new Set(LANGUAGES.flatMap((language) => exam[language].map(([text]) => normalizeExample(text))));
    for (const language of LANGUAGES) {
      assert.ok(fixture[language].length >= 25, `${language}: ${fixture[language].length} messages`);
      for (const [text, expected] of fixture[language]) {
        assert.ok(!examples.has(normalizeExample(text)), `"${text}" is a catalogue example (or an out-of-scope example)`);
        assert.ok(!examTexts.has(normalizeExample(text)), `"${text}" is an exam message`);
        for (const option of expected.split('|')) {
          assert.ok(option === 'clarify' || option.startsWith('knowledge:') || catalogue.get(option), `unknown expectation ${option}`);
        }
      }
    }
  });

  test('sensible replies: scores per language and per category', async () => {
    const tally = (): { right: number; n: number } => ({ right: 0, n: 0 });
    const perLanguage = Object.fromEntries(LANGUAGES.map((language) => [language, tally()])) as Record<Language, ReturnType<typeof tally>>;
    const perCategory = Object.fromEntries(CATEGORIES.map((category) => [category, tally()])) as Record<Category, ReturnType<typeof tally>>;
    const cell: Record<string, ReturnType<typeof tally>> = {};
    const misses: string[] = [];
    for (const language of LANGUAGES) {
      for (const [text, expected] of fixture[language]) {
        const { socket } = await connectVisitor(server.url);
        try {
          const { reply } = (await ask(socket, text)) as { reply: Reply };
          const ok = sensible(catalogue, reply, expected);
          const category = categoryOf(expected);
          for (const entry of [perLanguage[language], perCategory[category], (cell[`${language}/${category}`] ??= tally())]) {
            entry.n += 1;
            if (ok) entry.right += 1;
          }
          if (!ok) misses.push(`${language} "${text}": expected ${expected}, got ${reply.source}${reply.intent ? ` ${reply.intent}` : ''}${reply.retrieval ? ` "${reply.retrieval.title}"` : ''}`);
        } finally {
          socket.close();
        }
      }
    }
    const score = (entry: { right: number; n: number }) => Math.round((entry.right / entry.n) * 1000) / 1000;
    const right = LANGUAGES.reduce((sum, language) => sum + perLanguage[language].right, 0);
    const n = LANGUAGES.reduce((sum, language) => sum + perLanguage[language].n, 0);
    const overall = score({ right, n });
    console.log(
      JSON.stringify({
        fixture: fixtureName,
        n,
        overall,
        per_language: Object.fromEntries(LANGUAGES.map((language) => [language, score(perLanguage[language])])),
        per_category: Object.fromEntries(CATEGORIES.map((category) => [category, `${perCategory[category].right}/${perCategory[category].n}`])),
        per_language_category: Object.fromEntries(Object.entries(cell).map(([key, entry]) => [key, `${entry.right}/${entry.n}`])),
      }),
    );
    if (misses.length > 0) console.log(misses.join('\n'));
    if (isDev) {
      assert.ok(overall >= 0.78, `overall ${overall}`);
      for (const language of LANGUAGES) assert.ok(score(perLanguage[language]) >= 0.7, `${language}: ${score(perLanguage[language])}`);
    }
  });
});
