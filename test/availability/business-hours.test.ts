import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BusinessHoursError, formatOpening, isOpen, nextOpening, parseBusinessHours } from '../../src/availability/business-hours.ts';

const berlin = parseBusinessHours('Europe/Berlin; Mon-Fri 09:00-12:00, 13:00-17:30; Sat 10:00-14:00; closed 2026-12-24, 2026-12-25');

describe('business hours', () => {
  test('open and closed in the desk time zone, not UTC', () => {
    // Monday 2026-11-30: Berlin is UTC+1 in winter.
    assert.equal(isOpen(berlin, new Date('2026-11-30T08:00:00Z')), true); // 09:00 Berlin
    assert.equal(isOpen(berlin, new Date('2026-11-30T07:59:00Z')), false); // 08:59
    assert.equal(isOpen(berlin, new Date('2026-11-30T11:30:00Z')), false); // lunch 12:30
    assert.equal(isOpen(berlin, new Date('2026-11-30T16:29:00Z')), true); // 17:29
    assert.equal(isOpen(berlin, new Date('2026-11-30T16:30:00Z')), false); // 17:30: closed
    // Sunday closed; Saturday only in the morning.
    assert.equal(isOpen(berlin, new Date('2026-11-29T10:00:00Z')), false);
    assert.equal(isOpen(berlin, new Date('2026-11-28T10:00:00Z')), true);
  });

  test('another time zone: New York', () => {
    const ny = parseBusinessHours('America/New_York; mon-fri 09:00-17:00');
    assert.equal(isOpen(ny, new Date('2026-11-30T14:00:00Z')), true); // 09:00 EST
    assert.equal(isOpen(ny, new Date('2026-11-30T13:59:00Z')), false);
    // Friday 21:00 UTC is 16:00 in New York, but already Saturday in Tokyo's sense: still Friday here.
    assert.equal(isOpen(ny, new Date('2026-12-04T21:00:00Z')), true);
    assert.deepEqual(nextOpening(ny, new Date('2026-12-04T22:30:00Z')), new Date('2026-12-07T14:00:00Z'));
  });

  test('the next opening: later today, after lunch, after the weekend', () => {
    assert.deepEqual(nextOpening(berlin, new Date('2026-11-30T06:00:00Z')), new Date('2026-11-30T08:00:00Z'));
    assert.deepEqual(nextOpening(berlin, new Date('2026-11-30T11:15:00Z')), new Date('2026-11-30T12:00:00Z'));
    // Saturday 15:00 Berlin → Monday 09:00.
    assert.deepEqual(nextOpening(berlin, new Date('2026-11-28T14:00:00Z')), new Date('2026-11-30T08:00:00Z'));
    const open = new Date('2026-11-30T09:00:00Z');
    assert.deepEqual(nextOpening(berlin, open), open);
  });

  test('a daylight-saving change: the opening follows the wall clock', () => {
    // Europe/Berlin goes from UTC+1 to UTC+2 on Sunday 2027-03-28.
    assert.deepEqual(nextOpening(berlin, new Date('2027-03-27T15:00:00Z')), new Date('2027-03-29T07:00:00Z'));
    assert.equal(isOpen(berlin, new Date('2027-03-29T07:00:00Z')), true); // 09:00 CEST
    assert.equal(isOpen(berlin, new Date('2027-03-29T15:29:00Z')), true); // 17:29 CEST
    assert.equal(isOpen(berlin, new Date('2027-03-29T15:30:00Z')), false);
    // And back on 2026-10-25 (UTC+2 → UTC+1): Monday 10-26 opens at 08:00 UTC.
    assert.deepEqual(nextOpening(berlin, new Date('2026-10-24T13:00:00Z')), new Date('2026-10-26T08:00:00Z'));
    // A range over the change night itself.
    const night = parseBusinessHours('Europe/Berlin; Sun 00:00-24:00');
    assert.equal(isOpen(night, new Date('2027-03-28T01:30:00Z')), true); // 03:30 CEST
    assert.deepEqual(nextOpening(night, new Date('2027-03-27T12:00:00Z')), new Date('2027-03-27T23:00:00Z'));
  });

  test('holidays are closed all day, and the next opening skips them', () => {
    // Thursday 2026-12-24 10:00 Berlin would be open on an ordinary Thursday.
    assert.equal(isOpen(berlin, new Date('2026-12-24T09:00:00Z')), false);
    assert.equal(isOpen(berlin, new Date('2026-12-23T09:00:00Z')), true);
    // Wednesday evening → Saturday 26th 10:00 (24th and 25th closed).
    assert.deepEqual(nextOpening(berlin, new Date('2026-12-23T18:00:00Z')), new Date('2026-12-26T09:00:00Z'));
  });

  test('the opening in the visitor language and the desk time zone', () => {
    const now = new Date('2026-11-28T14:00:00Z');
    const opening = nextOpening(berlin, now)!;
    assert.match(formatOpening(opening, berlin, 'en', now), /Monday.*09:00/);
    assert.match(formatOpening(opening, berlin, 'de', now), /Montag.*09:00/);
    assert.match(formatOpening(opening, berlin, 'fr', now), /lundi.*09:00/);
  });

  test('clear errors for a wrong format', () => {
    const fails = (text: string, pattern: RegExp) => assert.throws(() => parseBusinessHours(text), (error: unknown) => error instanceof BusinessHoursError && pattern.test(error.message));
    fails('Mars/Olympus; Mon-Fri 09:00-17:00', /not an IANA time zone/);
    fails('Europe/Berlin; Mon-Fri 9-17', /not a time range HH:MM-HH:MM/);
    fails('Europe/Berlin; Mon-Fri 17:00-09:00', /start before the end/);
    fails('Europe/Berlin; Mon-Fri 09:00-17:00; closed 2026-02-30', /holiday "2026-02-30"/);
    fails('Europe/Berlin; Funday 09:00-17:00', /not a day/);
    fails('Europe/Berlin; Mon 09:00-12:00, 11:00-14:00', /overlap/);
    fails('Europe/Berlin', /no opening hours/);
    fails('', /empty/);
  });

  test('a range wrapping the week: Sat-Mon', () => {
    const hours = parseBusinessHours('UTC; Sat-Mon 10:00-11:00');
    assert.equal(isOpen(hours, new Date('2026-11-29T10:30:00Z')), true); // Sunday
    assert.equal(isOpen(hours, new Date('2026-12-01T10:30:00Z')), false); // Tuesday
  });
});
