/**
 * The desk's business hours (`BUSINESS_HOURS`): a time zone, weekly opening hours and holidays.
 * Pure: `isOpen` and `nextOpening` compute on instants with the platform's `Intl` time-zone data,
 * so daylight-saving changes follow the IANA database without a dependency.
 *
 *   BUSINESS_HOURS="Europe/Berlin; Mon-Fri 09:00-17:30; Sat 10:00-14:00; closed 2026-12-24, 2026-12-25"
 *
 * Parts are separated by `;`. The first is an IANA time zone. Each hours part names days (`Mon`,
 * `Mon-Fri`, `Mon,Wed,Fri`; a range may wrap: `Sat-Sun`) and one or more ranges `HH:MM-HH:MM`
 * separated by commas (`Mon-Fri 09:00-12:00, 13:00-17:00`); `24:00` ends a range at midnight.
 * A `closed` part lists holidays as local dates `YYYY-MM-DD`, separated by commas.
 */

export interface BusinessHours {
  timeZone: string;
  /** Weekday (0 = Sunday … 6 = Saturday) → opening ranges in minutes after local midnight, sorted. */
  weekly: ReadonlyArray<ReadonlyArray<{ start: number; end: number }>>;
  /** Local dates (`YYYY-MM-DD`) the desk is closed all day. */
  holidays: ReadonlySet<string>;
}

export class BusinessHoursError extends Error {}

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const EXAMPLE = 'e.g. "Europe/Berlin; Mon-Fri 09:00-17:30; Sat 10:00-14:00; closed 2026-12-24, 2026-12-25"';

/** Parses `BUSINESS_HOURS`; throws BusinessHoursError naming what is wrong. */
export function parseBusinessHours(text: string): BusinessHours {
  const parts = text.split(';').map((part) => part.trim()).filter(Boolean);
  const fail = (message: string): never => {
    throw new BusinessHoursError(`${message} (${EXAMPLE})`);
  };
  if (parts.length === 0) fail('is empty');
  const timeZone = parts[0]!;
  if (!validTimeZone(timeZone)) fail(`"${timeZone}" is not an IANA time zone such as Europe/Berlin or America/New_York`);
  const weekly: Array<Array<{ start: number; end: number }>> = DAYS.map(() => []);
  const holidays = new Set<string>();
  for (const part of parts.slice(1)) {
    const closed = /^(closed|holidays?)\s+(.+)$/i.exec(part);
    if (closed) {
      for (const date of closed[2]!.split(',').map((item) => item.trim()).filter(Boolean)) {
        if (!validDate(date)) fail(`holiday "${date}" is not a date YYYY-MM-DD`);
        holidays.add(date);
      }
      continue;
    }
    const match = /^([a-z,\-\s]+?)\s+(\d.*)$/i.exec(part);
    if (!match) fail(`"${part}" is neither days with hours ("Mon-Fri 09:00-17:00") nor "closed" with dates`);
    const days = parseDays(match![1]!.replace(/\s+/g, ''), fail);
    for (const range of match![2]!.split(',').map((item) => item.trim())) {
      const times = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(range);
      if (!times) fail(`"${range}" in "${part}" is not a time range HH:MM-HH:MM`);
      const start = minutes(times![1]!, times![2]!);
      const end = minutes(times![3]!, times![4]!);
      if (start === null || end === null || start >= end || start >= 24 * 60) fail(`"${range}" in "${part}" is not a range within one day (the start before the end, 00:00 to 24:00)`);
      for (const day of days) weekly[day]!.push({ start: start!, end: end! });
    }
  }
  for (const ranges of weekly) {
    ranges.sort((a, b) => a.start - b.start);
    for (let i = 1; i < ranges.length; i++) if (ranges[i]!.start < ranges[i - 1]!.end) fail(`opening hours overlap on ${DAYS[weekly.indexOf(ranges)]}`);
  }
  if (weekly.every((ranges) => ranges.length === 0)) fail('names no opening hours');
  return { timeZone, weekly, holidays };
}

function parseDays(text: string, fail: (message: string) => never): number[] {
  const days = new Set<number>();
  for (const item of text.toLowerCase().split(',').filter(Boolean)) {
    const [from, to] = item.split('-');
    const a = dayIndex(from!);
    const b = to === undefined ? a : dayIndex(to);
    if (a < 0 || b < 0) fail(`"${item}" is not a day or range of days (Mon, Tue, Wed, Thu, Fri, Sat, Sun)`);
    for (let day = a; ; day = (day + 1) % 7) {
      days.add(day);
      if (day === b) break;
    }
  }
  return [...days];
}

function dayIndex(name: string): number {
  return DAYS.indexOf(name.slice(0, 3) as (typeof DAYS)[number]) >= 0 && name.length >= 3 ? DAYS.indexOf(name.slice(0, 3) as (typeof DAYS)[number]) : -1;
}

function minutes(hours: string, mins: string): number | null {
  const h = Number(hours);
  const m = Number(mins);
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return null;
  return h * 60 + m;
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

function validDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) return false;
  const value = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return value.toISOString().slice(0, 10) === date;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time at `instant` in `timeZone`. */
function localTime(instant: Date, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  const year = Number(parts.year);
  const month = Number(parts.month);
  const day = Number(parts.day);
  return { year, month, day, minute: Number(parts.hour) * 60 + Number(parts.minute), weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay() };
}

function dateKey(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The instant when the wall clock in `timeZone` shows the date and minute (the later one in a gap). */
function instantAt(year: number, month: number, day: number, minute: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, 0, minute);
  const offset = (at: number) => {
    const local = localTime(new Date(at), timeZone);
    return Date.UTC(local.year, local.month - 1, local.day, 0, local.minute) - Math.floor(at / 60_000) * 60_000;
  };
  let guess = wall - offset(wall);
  guess = wall - offset(guess);
  return new Date(guess);
}

/** Whether the desk is open at `instant`. */
export function isOpen(hours: BusinessHours, instant: Date): boolean {
  const local = localTime(instant, hours.timeZone);
  if (hours.holidays.has(dateKey(local.year, local.month, local.day))) return false;
  return hours.weekly[local.weekday]!.some((range) => local.minute >= range.start && local.minute < range.end);
}

/** When the desk opens next after `instant` (`instant` itself when open); null when it never does within a year. */
export function nextOpening(hours: BusinessHours, instant: Date): Date | null {
  if (isOpen(hours, instant)) return instant;
  const local = localTime(instant, hours.timeZone);
  for (let offset = 0; offset <= 366; offset++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + offset));
    const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    if (hours.holidays.has(dateKey(year, month, day))) continue;
    for (const range of hours.weekly[date.getUTCDay()]!) {
      if (offset === 0 && range.start <= local.minute) continue;
      const opening = instantAt(year, month, day, range.start, hours.timeZone);
      if (opening.getTime() > instant.getTime()) return opening;
    }
  }
  return null;
}

/** "Monday 09:00 CET"-like text for the visitor, in their language and the desk's time zone. */
export function formatOpening(opening: Date, hours: BusinessHours, language: string | undefined, now: Date): string {
  const soon = opening.getTime() - now.getTime() < 6 * 24 * 3600_000;
  const options: Intl.DateTimeFormatOptions = soon
    ? { timeZone: hours.timeZone, weekday: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }
    : { timeZone: hours.timeZone, dateStyle: 'full', timeStyle: 'short' };
  try {
    return new Intl.DateTimeFormat(language ?? 'en', options).format(opening);
  } catch {
    return new Intl.DateTimeFormat('en', options).format(opening);
  }
}
