// The console's Reports tab in a real Chromium: the figures of the seeded week as tiles, Chart.js
// charts (served from /console/vendor/ under the console's Content-Security-Policy), the tables,
// and the CSV download.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Chart as ChartJs } from 'chart.js';
import { chromiumMissing } from '../helpers/browser.ts';
import { SCREENSHOTS, signInToConsole, startConsoleTest, type ConsoleTest } from '../helpers/console.ts';
import { seedDesk } from './seed.ts';

let env: ConsoleTest;

describe('the Reports tab of the console', { skip: chromiumMissing }, () => {
  before(async () => {
    env = await startConsoleTest({ timeout: 20_000, viewport: { width: 1440, height: 1000 } });
    await seedDesk(env.prisma, { activeVersion: false });
  });

  after(() => env?.close());

  test('charts, tiles and tables of a week by language, and its CSV', async () => {
    const { page } = env;
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      // A refused request (the wrong range below) is logged by Chromium itself; a CSP violation is not that.
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(message.text());
    });
    await signInToConsole(page, env.server.url);

    await page.click('.tab[data-tab="reports"]');
    await page.waitForSelector('#reports:not([hidden])');
    assert.equal(await page.isHidden('#conversation'), true, 'the report takes the conversation’s place');
    // The last 30 days are shown first; then the seeded week.
    await page.waitForSelector('#report-kpis .kpi');
    await page.fill('#report-from', '2026-11-02');
    await page.fill('#report-to', '2026-11-08');
    await page.selectOption('#report-group', 'language');
    await page.waitForFunction(() => document.querySelector('[data-kpi="conversations"] .kpi-value')?.textContent === '6');

    const tile = (kpi: string) => page.textContent(`[data-kpi="${kpi}"] .kpi-value`);
    assert.equal(await tile('containment'), '50.0%');
    assert.equal(await tile('handoff'), '30.0%');
    assert.equal(await tile('thumbs'), '▲ 2 ▼ 2');
    assert.equal(await tile('csat'), '3.67 / 5');
    assert.equal(await tile('first-response'), '5.0 min');
    assert.equal(await tile('resolution'), '10.0 min');
    assert.equal(await tile('accuracy'), '–');
    assert.equal(await page.textContent('#report-title'), 'Report 2026-11-02 – 2026-11-08');

    const charts = await page.evaluate(() =>
      ['chart-volume', 'chart-fallbacks', 'chart-feedback', 'chart-csat', 'chart-times'].map((id) => {
        const chart = (globalThis as unknown as { Chart: typeof ChartJs }).Chart.getChart(id);
        return chart ? { labels: chart.data.labels, first: chart.data.datasets[0]?.data } : null;
      }));
    assert.deepEqual(charts[0], { labels: ['en', 'de', 'fr', '(unknown)'], first: [3, 1, 1, 1] });
    assert.deepEqual(charts[1]?.first, [20, 50, 100, 0], 'handoff rates in percent');
    assert.deepEqual(charts[3], { labels: ['1', '2', '3', '4', '5'], first: [0, 1, 0, 1, 1] });
    assert.ok(charts.every((chart) => chart !== null), 'every chart is drawn');

    assert.deepEqual(await page.$$eval('#report-groups tbody th', (cells) => cells.map((cell) => cell.textContent)), ['en', 'de', 'fr', '(unknown)', 'Total']);
    assert.deepEqual(await page.$$eval('#report-requests .request-text', (cells) => cells.map((cell) => cell.textContent)), [
      'Where is my order #####', 'Mensch bitte, ruf mich an: [phone]', 'Ich will mit einem Menschen sprechen, [email]',
    ]);
    await page.screenshot({ path: `${SCREENSHOTS}/console-reports.png`, fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-csv')]);
    assert.equal(download.suggestedFilename(), 'frontdesk-report-2026-11-02-2026-11-09-language.csv');
    const rows = parse(readFileSync(await download.path()), { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(rows.map((row) => [row.language, row.conversations]), [['en', '3'], ['de', '1'], ['fr', '1'], ['(unknown)', '1'], ['(total)', '6']]);

    // A range the server refuses is said so, next to the form.
    await page.fill('#report-from', '2026-11-09');
    await page.click('#report-show');
    await page.waitForSelector('#report-error:not([hidden])');
    assert.match((await page.textContent('#report-error')) ?? '', /before/);

    // Back to the queue: the conversation area returns.
    await page.click('.tab[data-tab="queue"]');
    assert.equal(await page.isHidden('#reports'), true);
    assert.equal(await page.isHidden('#conversation'), false);
    assert.deepEqual(problems, []);
  });
});
