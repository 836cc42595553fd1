import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findLabelColumns, readCsvRecords, readCsvTable } from '../../src/corpus/csv.ts';
import { parseCsvExamples } from '../../src/corpus/datasets.ts';
import { parseImport } from '../../src/corpus/log-formats.ts';

const STRAY_QUOTE = 'a quote inside an unquoted field (quote the whole field and double inner quotes)';

describe('CSV records', () => {
  test('quotes, commas, doubled quotes and line breaks; CRLF or LF; blank lines are no records', () => {
    assert.deepEqual(readCsvRecords('text,intent\r\n"Hi, there","greet"\n"He said ""no""\nthen left",complain\n\n'), [
      { line: 1, fields: ['text', 'intent'] },
      { line: 2, fields: ['Hi, there', 'greet'] },
      { line: 3, fields: ['He said "no"\nthen left', 'complain'] },
    ]);
  });

  test('the CSV reader resumes after a broken record', () => {
    assert.deepEqual(readCsvRecords('a,b\n"q""uoted, and\nmulti-line",3\r\nst"ray,4\n5,6\n"x,1\n1,2\n'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['q"uoted, and\nmulti-line', '3'] },
      { line: 4, error: STRAY_QUOTE },
      { line: 5, fields: ['5', '6'] },
      { line: 6, error: 'a quoted field is never closed' },
      { line: 7, fields: ['1', '2'] },
    ]);
  });

  test('a BOM is dropped and lines count from the first line, blank ones included', () => {
    assert.deepEqual(readCsvRecords('\ufeffé,intent\n\n\r\nok,1'), [
      { line: 1, fields: ['é', 'intent'] },
      { line: 4, fields: ['ok', '1'] },
    ]);
  });

  test('an unclosed quote on the last record is reported', () => {
    assert.deepEqual(readCsvRecords('a,b\n1,"never closed'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'a quoted field is never closed' },
    ]);
  });

  test('text after a closing quote: reported for the line the record starts on, reading resumes after the fault', () => {
    assert.deepEqual(readCsvRecords('a,b\n"line one\nline two"x,1\nok,2\n"x" ,3\n'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: 'text after a closing quote' },
      { line: 4, fields: ['ok', '2'] },
      { line: 5, error: 'text after a closing quote' },
    ]);
  });

  test('a quote ending an unquoted field is a stray quote', () => {
    assert.deepEqual(readCsvRecords('a,b\nsaid "hi",1\nend",2\nok,3'), [
      { line: 1, fields: ['a', 'b'] },
      { line: 2, error: STRAY_QUOTE },
      { line: 3, error: STRAY_QUOTE },
      { line: 4, fields: ['ok', '3'] },
    ]);
  });

  test('an empty file has no records and no table', () => {
    assert.deepEqual(readCsvRecords(''), []);
    assert.equal(readCsvTable('\n\n'), null);
  });
});

describe('CSV tables', () => {
  test('a row whose field count differs from the header is an error with its line; the others are kept', () => {
    assert.deepEqual(readCsvTable('text,intent\nonly one\nhi,greet\ntoo,many,fields\n'), {
      header: { line: 1, fields: ['text', 'intent'] },
      rows: [
        { line: 2, error: 'expected 2 fields like the header, found 1' },
        { line: 3, fields: ['hi', 'greet'] },
        { line: 4, error: 'expected 2 fields like the header, found 3' },
      ],
    });
  });

  test('a broken header is kept as an error', () => {
    assert.deepEqual(readCsvTable('"text,intent\nhi,greet\n'), {
      header: { line: 1, error: 'a quoted field is never closed' },
      rows: [{ line: 2, fields: ['hi', 'greet'] }],
    });
  });
});

describe('label columns', () => {
  test('text and intent synonyms, ignoring case and surrounding space', () => {
    assert.deepEqual(findLabelColumns(['text', 'intent']), { text: 0, intent: 1 });
    assert.deepEqual(findLabelColumns(['Category', ' Utterance ']), { text: 1, intent: 0 });
    assert.deepEqual(findLabelColumns(['label', 'message']), { text: 1, intent: 0 });
    assert.deepEqual(findLabelColumns(['id', 'INSTRUCTION']), { text: 1, intent: null });
    assert.deepEqual(findLabelColumns(['question', 'answer']), { text: null, intent: null });
  });

  test('the preferred name wins over its position: Bitext has both category and intent', () => {
    const bitext = ['flags', 'instruction', 'category', 'intent', 'response'];
    assert.deepEqual(findLabelColumns(bitext), { text: 1, intent: 3 });
    assert.deepEqual(findLabelColumns(['utterance', 'text']), { text: 1, intent: null });
  });

  test('datasets and imported logs read the same headers', () => {
    const csv = 'flags,instruction,category,intent,response\nB,where is my parcel,ORDER,track_order,Let me check\n';
    assert.deepEqual(parseCsvExamples(csv, 'bitext.csv'), [{ text: 'where is my parcel', intent: 'track_order' }]);
    const [record] = parseImport(csv, 'csv');
    assert.ok(record?.ok);
    assert.deepEqual(record.conversation.messages, [{ role: 'visitor', text: 'where is my parcel', intent: 'track_order' }]);
  });
});
