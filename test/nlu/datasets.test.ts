import assert from 'node:assert/strict';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DatasetError, readDataset } from '../../src/corpus/datasets.ts';

async function tempFile(name: string, content: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'frontdesk-datasets-'));
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('dataset readers', () => {
  it('reads CSV with a category (or label) column as the intent', async () => {
    const path = await tempFile('b.csv', '\ufefftext,category\nWhere is my card?,card_arrival\n');
    assert.deepEqual(await readDataset(path), [{ text: 'Where is my card?', intent: 'card_arrival' }]);
  });

  it('reads JSONL, JSON arrays and seq.in + label folders', async () => {
    const jsonl = await tempFile('a.jsonl', '{"text":"hi","intent":"greet"}\n\n{"text":"bye","intent":"oos"}\n');
    assert.deepEqual(await readDataset(jsonl), [
      { text: 'hi', intent: 'greet' },
      { text: 'bye', intent: 'oos' },
    ]);
    const json = await tempFile('a.json', JSON.stringify([{ text: '我要听稻香', intent: 'PLAY', entities: [] }]));
    assert.deepEqual(await readDataset(json), [{ text: '我要听稻香', intent: 'PLAY' }]);
    const folder = await mkdtemp(join(tmpdir(), 'frontdesk-seq-'));
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'seq.in'), 'wake me up at 7\n\nplay jazz\n');
    await writeFile(join(folder, 'label'), 'alarm_set\nalarm_set\nplay_music\n');
    // The blank utterance on line 2 is skipped, as real exports contain them.
    assert.deepEqual(await readDataset(folder), [
      { text: 'wake me up at 7', intent: 'alarm_set' },
      { text: 'play jazz', intent: 'play_music' },
    ]);
  });

  it('names the file and line of malformed input', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['bad.csv', 'text,intent\nok,greet\n"unclosed,greet\n', /bad\.csv:3: a quoted field is never closed/],
      ['fields.csv', 'text,intent\nok,greet\nonly one field\n', /fields\.csv:3: expected 2 fields/],
      ['header.csv', 'message,answer\nhi,hello\n', /header\.csv:1: the header must name a text column/],
      ['noIntent.csv', 'text,intent\nhello,\n', /noIntent\.csv:2: empty or missing intent/],
      ['bad.jsonl', '{"text":"hi","intent":"greet"}\n{"text": "oops"\n', /bad\.jsonl:2: invalid JSON/],
      ['bad.json', '[{"text":"hi"}]', /bad\.json: item 0: empty or missing intent/],
      ['data.txt', 'hi', /unknown format/],
    ];
    for (const [name, content, message] of cases) {
      const path = await tempFile(name, content);
      await assert.rejects(readDataset(path), (error: unknown) => error instanceof DatasetError && message.test(error.message), name);
    }
    const folder = await mkdtemp(join(tmpdir(), 'frontdesk-seq-'));
    await writeFile(join(folder, 'seq.in'), 'a\nb\n');
    await writeFile(join(folder, 'label'), 'x\n');
    await assert.rejects(readDataset(folder), /seq\.in has 2 lines but label has 1/);
    await assert.rejects(readDataset(join(folder, 'missing.csv')), /no such file/);
  });
});
