import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { discoverIntents } from '../../src/discovery/discover.ts';
import { requestsOf, selectRequests } from '../../src/discovery/requests.ts';
import { mineAnswers } from '../../src/discovery/describe.ts';
import { clusteringAccuracy, hungarian, normalizedMutualInformation, scoreClustering } from '../../src/discovery/metrics.ts';
import { intentYaml } from '../../src/discovery/intent-file.ts';
import { createCatalogue } from '../../src/catalogue/index.ts';
import { parse } from 'yaml';
import { fixtureConversations, TOPICS } from './fixtures.ts';

const EMAIL = /[\w.+-]+@[\w-]+\.[\w.]+/;
const PHONE = /\+?\d[\d ().-]{7,}\d/;
const CARD = /\b(?:\d[ -]?){13,19}\b/;

function topicOf(requestId: string, conversations: ReturnType<typeof fixtureConversations>): string {
  const conversation = conversations.find((c) => requestId.startsWith(`${c.id}:`))!;
  return conversation.id.split('-')[0]!;
}

describe('requests', () => {
  test('the first meaningful visitor turn is the request; greetings, thanks and details are not; the agent replies stay with it', () => {
    const [request, ...more] = requestsOf({
      id: 'c1',
      messages: [
        { role: 'visitor', text: 'hi' },
        { role: 'agent', text: 'Hello! How can I help?' },
        { role: 'visitor', text: 'my parcel has not arrived yet' },
        { role: 'agent', text: 'What is your order number?' },
        { role: 'visitor', text: '#48213' },
        { role: 'agent', text: 'It ships tomorrow.' },
        { role: 'visitor', text: 'thanks' },
      ],
    });
    assert.equal(request?.text, 'my parcel has not arrived yet');
    assert.equal(request?.first, true);
    assert.deepEqual(request?.replies, ['What is your order number?', 'It ships tomorrow.']);
    assert.equal(more.length, 0);
  });

  test('a later turn that opens a new topic is a request too; an answer to the agent\'s question is not', () => {
    const requests = requestsOf({
      id: 'c2',
      messages: [
        { role: 'visitor', text: 'I want to return the lamp I bought' },
        { role: 'agent', text: 'Start the return at /account/returns.' },
        { role: 'visitor', text: 'also, can I change the delivery address of another order' },
        { role: 'agent', text: 'Which order would you like to change?' },
        { role: 'visitor', text: 'the one I placed yesterday evening for my mother' },
      ],
    });
    assert.deepEqual(requests.map((r) => r.text), ['I want to return the lamp I bought', 'also, can I change the delivery address of another order']);
    assert.equal(requests[1]!.first, false);
  });
});

describe('discovery on a small fixture', () => {
  const conversations = fixtureConversations(2);
  const requests = selectRequests(conversations);

  test('finds the three topics with the number of clusters chosen automatically', () => {
    assert.equal(requests.length, conversations.length);
    const result = discoverIntents(requests, { seed: 1 });
    const gold = requests.map((request) => topicOf(request.id, conversations));
    const scores = scoreClustering(gold, result.clusterOf);
    assert.ok(scores.nmi > 0.8, `nmi ${scores.nmi}`);
    assert.ok(result.candidates.length >= 3 && result.candidates.length <= 6, `${result.candidates.length} candidates`);
    const gift = result.candidates.find((candidate) => candidate.keywords.some((keyword) => keyword.includes('gift')));
    assert.ok(gift, 'a gift wrapping cluster');
    assert.match(gift.name, /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/);
    assert.ok(gift.label.length <= 40);
    assert.ok(gift.examples.length >= 8);
    assert.ok(gift.cohesion > 0 && gift.cohesion <= 1);
    assert.ok(gift.answers.length > 0);
    assert.match(gift.answers[0]!.text, /gift wrap/i);
  });

  test('is deterministic for a seed', () => {
    const strip = (result: ReturnType<typeof discoverIntents>) => JSON.stringify({ ...result, seconds: 0, assignments: [...result.assignments] , clusterOf: [...result.clusterOf] });
    const a = discoverIntents(requests, { seed: 7 });
    const b = discoverIntents(requests, { seed: 7 });
    assert.equal(strip(a), strip(b));
    const c = discoverIntents(requests, { seed: 7, k: 3 });
    const d = discoverIntents(requests, { seed: 7, k: 3 });
    assert.equal(strip(c), strip(d));
    assert.equal(c.k, 3);
    assert.equal(c.kChosen, 'given');
  });

  test('the granularity knob asks for more or fewer clusters', () => {
    const fewer = discoverIntents(requests, { seed: 1, granularity: 0.5, minClusterSize: 1, tailSimilarity: -1 });
    const more = discoverIntents(requests, { seed: 1, granularity: 3, minClusterSize: 1, tailSimilarity: -1 });
    assert.ok(more.k > fewer.k, `${more.k} > ${fewer.k}`);
  });

  test('mined answers and examples contain no e-mail, phone or card numbers', () => {
    const result = discoverIntents(requests, { seed: 1 });
    const answers = result.candidates.flatMap((candidate) => candidate.answers.map((answer) => answer.text));
    assert.ok(answers.length >= 3);
    for (const text of [...answers, ...result.candidates.flatMap((candidate) => candidate.examples)]) {
      assert.doesNotMatch(text, EMAIL, text);
      assert.doesNotMatch(text, PHONE, text);
      assert.doesNotMatch(text, CARD, text);
    }
    const direct = mineAnswers([[...TOPICS.gift_wrap.replies], [TOPICS.gift_wrap.replies[0]], [TOPICS.gift_wrap.replies[1]]]);
    for (const answer of direct) {
      assert.doesNotMatch(answer.text, EMAIL);
      assert.doesNotMatch(answer.text, PHONE);
      assert.doesNotMatch(answer.text, CARD);
    }
  });

  test('overlap with catalogue intents is reported', () => {
    const result = discoverIntents(requests, {
      seed: 1,
      catalogue: [{ name: 'loyalty_program', label: 'Loyalty points', examples: ['how many loyalty points do I have', 'redeem my reward points', 'loyalty points balance', 'my reward points are missing'] }],
    });
    const loyalty = result.candidates.find((candidate) => candidate.keywords.some((keyword) => keyword.includes('points')))!;
    assert.equal(loyalty.overlaps[0]?.intent, 'loyalty_program');
  });
});

describe('metrics', () => {
  test('Hungarian matching, accuracy and NMI', () => {
    assert.deepEqual(hungarian([[4, 1, 3], [2, 0, 5], [3, 2, 2]]), [1, 0, 2]);
    assert.equal(clusteringAccuracy([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 4, 4]), 1);
    assert.equal(clusteringAccuracy([0, 0, 1, 1], [0, 0, 0, 0]), 0.5);
    assert.ok(Math.abs(normalizedMutualInformation([0, 0, 1, 1], [1, 1, 0, 0]) - 1) < 1e-12);
    assert.ok(normalizedMutualInformation([0, 1, 0, 1], [0, 0, 1, 1]) < 1e-12);
  });
});

test('an accepted intent file is a valid catalogue intent', () => {
  const text = intentYaml({ name: 'gift_wrapping', label: 'Gift wrapping', examples: [...TOPICS.gift_wrap.requests, 'Can you gift wrap my order please?'], answer: 'We gift wrap any order for $5 at /cart.' });
  const definition = parse(text);
  const catalogue = createCatalogue([definition, { name: 'other', label: 'Other', description: 'x', examples: ['a b c', 'b c d', 'c d e', 'd e f', 'e f g', 'f g h', 'g h i', 'h i j'], answers: { en: ['ok'] } }]);
  assert.equal(catalogue.get('gift_wrapping')?.examples.length, TOPICS.gift_wrap.requests.length);
});
