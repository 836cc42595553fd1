// The scripted shopper conversations of `npm run bench:tasks` (bench/tasks/*.yaml): they parse and
// validate, there are enough of them in every language with a held-out part, they expand the same
// way every time, and every task can be filled and judged without a false leak. No server: fast.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandTasks, fill, LANGUAGES, loadTaskFiles, parseTaskFile, SPLITS, taskWorld, type Task } from '../../bench/tasks/scripts.ts';

const files = loadTaskFiles();
const tasks = expandTasks(files);
const NOW = Date.UTC(2026, 0, 15, 12);

/** Every text of a task that is filled from its world. */
function taskTexts(task: Task): string[] {
  const { expect } = task;
  return [
    ...task.turns.flatMap((turn) => [turn.say, ...turn.botBefore]),
    ...task.answers.map((answer) => answer.say),
    ...expect.facts,
    ...Object.values(expect.action?.slots ?? {}),
    ...expect.db.flatMap((row) => (row.shipping_address ? [row.shipping_address] : [])),
  ];
}

test('the task files parse, and there are at least 200 conversations with a held-out part', () => {
  assert.deepEqual(files.map((file) => file.split), ['dev', 'heldout']);
  assert.ok(tasks.length >= 200, `${tasks.length} tasks`);
  const heldout = tasks.filter((task) => task.split === 'heldout').length;
  assert.ok(heldout >= 50, `${heldout} held-out tasks`);
  assert.equal(new Set(tasks.map((task) => task.id)).size, tasks.length, 'task ids are unique');
});

test('English is the majority, and English, German and Chinese are in both parts', () => {
  for (const language of LANGUAGES) {
    for (const split of SPLITS) assert.ok(tasks.some((task) => task.language === language && task.split === split), `${language}/${split}`);
  }
  const english = tasks.filter((task) => task.language === 'en').length;
  assert.ok(english > tasks.length / 2, `${english} of ${tasks.length} in English`);
});

test('the expansion is deterministic: the same files give the same tasks and worlds', () => {
  assert.deepEqual(expandTasks(loadTaskFiles()), tasks);
  for (const task of tasks.slice(0, 50)) assert.deepEqual(taskWorld(task, NOW), taskWorld(task, NOW));
});

test('each scenario covers its identities and formats, and multi-turn conversations are there', () => {
  const scenarios = new Map<string, Task[]>();
  for (const task of tasks) scenarios.set(task.scenario, [...(scenarios.get(task.scenario) ?? []), task]);
  for (const [id, expanded] of scenarios) {
    const identities = new Set(expanded.map((task) => task.identity));
    const scenario = files.flatMap((file) => file.scenarios).find((candidate) => candidate.id === id)!;
    assert.equal(identities.size, Math.min(scenario.identities.length, expanded.length), `${id}: identities`);
    assert.equal(new Set(expanded.map((task) => task.format)).size, Math.min(scenario.formats.length, Math.ceil(expanded.length / scenario.identities.length)), `${id}: formats`);
  }
  const multiTurn = tasks.filter((task) => task.turns.length + task.answers.length >= 2).length;
  assert.ok(multiTurn > tasks.length / 2, `${multiTurn} tasks of two turns or more`);
  for (const intent of ['track_order', 'cancel_order', 'track_refund', 'change_shipping_address']) {
    assert.ok(tasks.some((task) => task.intent === intent && task.split === 'heldout'), `${intent} is measured on held-out tasks`);
  }
});

test('every placeholder of every task has a value, and nothing a right answer holds looks like the decoy', () => {
  for (const task of tasks) {
    const world = taskWorld(task, NOW);
    const filled = taskTexts(task).map((text) => fill(text, world, task));
    for (const text of filled) assert.doesNotMatch(text, /\{[a-z_]+\}/, `${task.id}: ${text}`);
    // A bot that answers right says the task's own values; none of them may contain a secret of the decoy.
    const { order, customer, values } = world;
    const ownValues = [order.number, order.trackingNumber, order.shippingAddress, customer.email, customer.name, values.expected_date, values.new_address, values.wrong_order, ...order.items.map((item) => item.name)];
    for (const secret of world.decoySecrets) {
      for (const value of ownValues) assert.ok(!value?.toLowerCase().includes(secret.toLowerCase()), `${task.id}: "${value}" holds the decoy's "${secret}"`);
    }
    // Bare numbers are typed only after the bot asked, so never in the opening.
    if (task.format === 'bare') assert.ok(!task.turns[0]!.say.includes('{order}'), task.id);
  }
});

test('held-out openings are not copies of development ones', () => {
  const normal = (text: string) => text.toLowerCase().replace(/[\s\p{P}]+/gu, ' ').trim();
  const [dev, heldout] = files;
  const developed = new Set(dev!.scenarios.flatMap((scenario) => scenario.turns[0]!.say.map(normal)));
  for (const scenario of heldout!.scenarios) {
    for (const say of scenario.turns[0]!.say) assert.ok(!developed.has(normal(say)), `${scenario.id}: "${say}" is also in dev.yaml`);
  }
});

test('malformed scripts are refused with the scenario and the problem', () => {
  const scenario = (extra: string) => `split: dev
scenarios:
  - id: broken
    language: en
    intent: track_order
    formats: [hash]
    order: { status: shipped }
${extra}`;
  const turns = (say: string) => `    turns:\n      - say: ["${say}"]\n    expect: { facts: ["{order_id}"] }\n`;
  assert.doesNotThrow(() => parseTaskFile(scenario(turns('where is {order}'))));
  assert.throws(() => parseTaskFile(scenario(turns('where is {ordr}'))), /unknown placeholder \{ordr\}/);
  assert.throws(() => parseTaskFile(scenario(turns('where is {new_address}'))), /without new_address/);
  assert.throws(() => parseTaskFile(scenario(`    count: 5\n${turns('where is {order}')}`)), /count 5 is more than the 2 different tasks/);
  assert.throws(() => parseTaskFile(scenario(`    colour: blue\n${turns('where is {order}')}`)), /colour/);
  assert.throws(() => parseTaskFile(scenario(turns('where is {order}')).replace('formats: [hash]', 'formats: [bare]')), /bare order number is only said after the bot asked/);
  assert.throws(() => parseTaskFile(scenario(turns('where is {order}')).replace('language: en', 'language: xx')), /language/);
});
