/**
 * The multilingual exam: a real server (embedded Postgres, model trained from intents/ at start)
 * answers shopper messages in English, German, Chinese, French and Spanish through the real chat
 * path, each in a fresh conversation whose client sends no language (so the bot must detect it).
 * A reply is sensible when it is the expected intent (a handoff for complaint and
 * contact_human_agent), an answer from the expected knowledge document, or a clarification for
 * nonsense. Prints one JSON line with the scores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadCatalogue, normalizeExample, type Catalogue } from '../../src/catalogue/index.ts';
import type { RunningServer } from '../../src/server.ts';
import { ask, connectVisitor, startTestServer, temporaryDirectory } from '../helpers/server.ts';
import { LANGUAGES, readFixture, sensible, type Language, type Reply } from './exam-scoring.ts';

const exam = readFixture('multilingual-exam.yaml');
const catalogue = await loadCatalogue('intents');

/** Everything the bot can say in `language` for this reply; null for retrieval (the documents are in English). */
function textsIn(catalogue: Catalogue, reply: Reply, language: Language): string[] | null {
  if (reply.source === 'retrieval') return null;
  // With no agent signed in to the exam's server, every handover says that nobody is available.
  const handover = reply.source === 'handoff' ? [catalogue.botText('handoff_unavailable', language)] : [];
  if (reply.intent) {
    // An intent with a form (track_order) first asks for its slots.
    const intent = catalogue.get(reply.intent)!;
    return [...(intent.answers[language] ?? []), ...intent.slots.map((slot) => catalogue.slotPrompt(intent.name, slot.name, language)), ...handover];
  }
  return [catalogue.botText('clarify', language), catalogue.botText('rephrase', language), catalogue.botText('handoff', language), ...handover];
}

describe('multilingual exam', { timeout: 900_000 }, () => {
  let server: RunningServer;
  const dataDir = temporaryDirectory('frontdesk-exam-');

  before(async () => {
    // Every message opens a new conversation: allow the exam's connections from one address.
    ({ server } = await startTestServer({ DATA_DIR: dataDir.path, MESSAGE_BURST: '60' }));
  });

  after(async () => {
    await server?.close();
    dataDir.remove();
  });

  test('the exam is written separately from the catalogue examples', () => {
    const examples = new Set(catalogue.trainingExamples().map((example) => normalizeExample(example.text)));
    for (const language of LANGUAGES) {
      assert.ok(exam[language].length >= 40, `${language}: ${exam[language].length} messages`);
      for (const [text, expected] of exam[language]) {
        assert.ok(!examples.has(normalizeExample(text)), `"${text}" is a catalogue example`);
        for (const option of expected.split('|')) {
          assert.ok(option === 'clarify' || option.startsWith('knowledge:') || catalogue.get(option), `unknown expectation ${option}`);
        }
      }
    }
  });

  test('sensible replies in the visitor\'s language: at least 85% overall and 75% per language', async () => {
    const scores: Record<string, number> = {};
    const languageScores: Record<string, number> = {};
    const misses: string[] = [];
    let right = 0;
    let total = 0;
    for (const language of LANGUAGES) {
      let sensibleReplies = 0;
      let checked = 0;
      let inLanguage = 0;
      for (const [text, expected] of exam[language]) {
        const { socket } = await connectVisitor(server.url);
        try {
          const { reply } = (await ask(socket, text)) as { reply: Reply };
          if (sensible(catalogue, reply, expected)) sensibleReplies += 1;
          else misses.push(`${language} "${text}": expected ${expected}, got ${reply.source}${reply.intent ? ` ${reply.intent}` : ''}${reply.retrieval ? ` "${reply.retrieval.title}"` : ''}`);
          const texts = textsIn(catalogue, reply, language);
          if (texts) {
            checked += 1;
            if (texts.includes(reply.text)) inLanguage += 1;
            else misses.push(`${language} "${text}": reply not in ${language}: ${reply.text.slice(0, 60)}`);
          }
        } finally {
          socket.close();
        }
      }
      scores[language] = round(sensibleReplies / exam[language].length);
      languageScores[language] = round(inLanguage / checked);
      right += sensibleReplies;
      total += exam[language].length;
    }
    const overall = round(right / total);
    console.log(JSON.stringify({ exam: 'multilingual', n: total, overall, per_language: scores, reply_language: languageScores }));
    if (misses.length > 0) console.log(misses.join('\n'));
    assert.ok(overall >= 0.85, `overall ${overall}`);
    for (const language of LANGUAGES) {
      assert.ok(scores[language]! >= 0.75, `${language}: ${scores[language]}`);
      assert.ok(languageScores[language]! >= 0.9, `${language}: ${languageScores[language]} of replies in ${language}`);
    }
  });

  test('the language the widget sends wins over detection', async () => {
    const { socket } = await connectVisitor(server.url, { language: 'fr-FR' });
    try {
      const { reply } = (await ask(socket, 'where is my order')) as { reply: Reply };
      assert.equal(reply.intent, 'track_order');
      assert.equal(reply.text, catalogue.slotPrompt('track_order', 'order_number', 'fr'), 'the order lookup asks for the number in French');
    } finally {
      socket.close();
    }
  });
});

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
