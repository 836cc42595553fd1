// @ts-check
// frontdesk agent console, the Reports tab: the desk's figures over a time range
// (GET /api/agent/reports), drawn with Chart.js (/console/vendor/chart.umd.min.js, no build step),
// and the same report as CSV. Plain JavaScript; app.js lends the API, `h` and the session.

/** @typedef {import('../../src/reports/report.ts').Report} DeskReport */
/** @typedef {import('../../src/reports/report.ts').ReportFigures} ReportFigures */
/** @typedef {import('../../src/reports/report.ts').ReportGroup} ReportGroup */
/** @typedef {import('../../src/reports/report.ts').Durations} Durations */

(() => {
  'use strict';

  const shared = window.frontdeskConsole;
  if (!shared) return;
  const { api, h, messageOf, token } = shared;
  const DAY_MS = 86_400_000;
  const COLORS = { accent: '#4f46e5', green: '#0f8a5f', amber: '#d97706', red: '#c62f3a', slate: '#94a3b8', sky: '#0ea5e9' };
  const GROUP_NAMES = { day: 'day', week: 'week', intent: 'intent', modelVersion: 'model version', language: 'language' };

  /** @type {{ report: DeskReport | null, charts: import('chart.js').Chart[], loading: boolean }} */
  const state = { report: null, charts: [], loading: false };

  /** @param {string} id */
  function $(id) {
    const element = document.getElementById(id);
    if (!element) throw new Error(`reports: no #${id}`);
    return element;
  }

  /** @param {string} id */
  function input(id) {
    const element = $(id);
    if (!(element instanceof HTMLInputElement || element instanceof HTMLSelectElement)) throw new Error(`reports: #${id} is no field`);
    return element;
  }

  /** A UTC date as YYYY-MM-DD. @param {number} time */
  const utcDate = (time) => new Date(time).toISOString().slice(0, 10);

  // The last 30 days, today (UTC) included.
  input('report-to').value = utcDate(Date.now());
  input('report-from').value = utcDate(Date.now() - 29 * DAY_MS);

  document.addEventListener('console:tab', (event) => {
    const active = event.detail === 'reports';
    $('panel-reports').hidden = !active;
    $('reports').hidden = !active;
    // The report takes the conversation's place (a class, not its `hidden`, which other views set too).
    $('app').classList.toggle('reports-open', active);
    if (active && !state.report && !state.loading) load();
  });

  $('report-form').addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
  input('report-group').addEventListener('change', () => load());
  $('report-csv').addEventListener('click', () => download());

  function query() {
    return new URLSearchParams({ from: input('report-from').value, to: input('report-to').value, groupBy: input('report-group').value });
  }

  /** @param {string} message */
  function showError(message) {
    $('report-error').textContent = message;
    $('report-error').hidden = !message;
  }

  async function load() {
    state.loading = true;
    showError('');
    $('reports').setAttribute('aria-busy', 'true');
    try {
      /** @type {{ report: DeskReport }} */
      const { report } = await api(`/reports?${query()}`);
      state.report = report;
      render(report);
    } catch (error) {
      showError(messageOf(error));
    } finally {
      state.loading = false;
      $('reports').removeAttribute('aria-busy');
    }
  }

  /** The CSV of the same report, fetched with the session (a link could not send it) and saved under the server's name. */
  async function download() {
    showError('');
    const button = $('report-csv');
    button.setAttribute('disabled', '');
    try {
      const response = await fetch(`/api/agent/reports?${query()}&format=csv`, { headers: { authorization: `Bearer ${token() ?? ''}` } });
      if (!response.ok) {
        const body = await response.json().catch(() => null);
        throw new Error(body && body.error ? body.error.message : response.statusText);
      }
      const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'frontdesk-report.csv';
      const url = URL.createObjectURL(await response.blob());
      const link = h('a', { href: url, download: name, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      showError(messageOf(error));
    } finally {
      button.removeAttribute('disabled');
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Formatting

  /** @param {number | null} value */
  const percent = (value) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);

  /** @param {number | null} seconds */
  function duration(seconds) {
    if (seconds === null) return '–';
    if (seconds < 90) return `${Math.round(seconds)} s`;
    if (seconds < 90 * 60) return `${(seconds / 60).toFixed(1)} min`;
    return `${(seconds / 3600).toFixed(1)} h`;
  }

  /** @param {Durations} durations */
  const durationPair = (durations) => (durations.count === 0 ? '–' : `${duration(durations.median)} · p90 ${duration(durations.p90)}`);

  /** @param {number} value */
  const count = (value) => value.toLocaleString('en');

  /** @param {ReportGroup} group */
  const groupLabel = (group) => group.label || group.key || '';

  // ---------------------------------------------------------------------------------------------
  // Rendering

  /** @param {DeskReport} report */
  function render(report) {
    const lastDay = utcDate(new Date(report.to).getTime() - 1);
    $('report-title').textContent = `Report ${report.from.slice(0, 10)} – ${lastDay}`;
    $('report-meta').textContent = `UTC · by ${GROUP_NAMES[report.groupBy]} · ${report.groups.length} groups · made ${new Date(report.generatedAt).toLocaleString()}`;
    renderKpis(report);
    renderCharts(report);
    renderGroups(report);
    renderRequests(report);
  }

  /** @param {DeskReport} report */
  function renderKpis(report) {
    const { total, model } = report;
    /** @type {Array<[name: string, value: string, detail: string, key: string]>} */
    const tiles = [
      ['Conversations', count(total.conversations), `${count(total.visitorMessages)} visitor messages`, 'conversations'],
      ['Containment', percent(total.containment), `${count(total.contained)} without a person`, 'containment'],
      ['Handoff rate', percent(total.handoffRate), `${count(total.handoffReplies)} of ${count(total.botReplies)} bot replies`, 'handoff'],
      ['Clarifications', percent(total.clarificationRate), `${count(total.clarifications)} of ${count(total.botReplies)} bot replies`, 'clarification'],
      ['Retrieval answers', percent(total.retrievalRate), `${count(total.retrievals)} of ${count(total.botReplies)} bot replies`, 'retrieval'],
      ['Feedback', `▲ ${count(total.thumbsUp)} ▼ ${count(total.thumbsDown)}`, 'thumbs on replies', 'thumbs'],
      ['CSAT', total.csat.average === null ? '–' : `${total.csat.average.toFixed(2)} / 5`, `${count(total.csat.responses)} ratings`, 'csat'],
      ['First response', duration(total.firstResponseSeconds.median), `p90 ${duration(total.firstResponseSeconds.p90)} · ${count(total.firstResponseSeconds.count)} handoffs`, 'first-response'],
      ['Resolution', duration(total.resolutionSeconds.median), `p90 ${duration(total.resolutionSeconds.p90)} · ${count(total.resolutionSeconds.count)} resolved`, 'resolution'],
      ['Model accuracy', percent(model.accuracy), model.version ? `${model.version.name} · ${count(model.labelled + model.confirmed)} labelled` : 'no active model', 'accuracy'],
    ];
    $('report-kpis').replaceChildren(...tiles.map(([name, value, detail, key]) =>
      h('div', { class: 'kpi', dataset: { kpi: key } }, h('div', { class: 'kpi-name' }, name), h('div', { class: 'kpi-value' }, value), h('div', { class: 'kpi-detail muted small' }, detail))));
  }

  /** @param {DeskReport} report */
  function renderCharts(report) {
    for (const chart of state.charts) chart.destroy();
    const labels = report.groups.map(groupLabel);
    const share = (/** @type {number | null} */ value) => (value === null ? null : Math.round(value * 1000) / 10);
    const minutes = (/** @type {number | null} */ value) => (value === null ? null : Math.round(value / 6) / 10);
    const percentAxis = { min: 0, max: 100, ticks: { callback: (/** @type {string | number} */ value) => `${value}%` } };
    const countAxis = { beginAtZero: true, ticks: { precision: 0 } };
    // No animation: a report is read, not watched, and tests see the final picture at once.
    const common = { responsive: true, maintainAspectRatio: false, animation: /** @type {false} */ (false), plugins: { legend: { position: /** @type {'bottom'} */ ('bottom') } } };
    state.charts = [
      new Chart(canvas('chart-volume'), {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { label: 'Conversations', data: report.groups.map((group) => group.conversations), backgroundColor: COLORS.accent, yAxisID: 'y' },
            { label: 'Containment %', data: report.groups.map((group) => share(group.containment)), backgroundColor: COLORS.green, yAxisID: 'share' },
          ],
        },
        options: { ...common, scales: { y: { ...countAxis, position: 'left' }, share: { ...percentAxis, position: 'right', grid: { drawOnChartArea: false } } } },
      }),
      new Chart(canvas('chart-fallbacks'), {
        type: 'line',
        data: {
          labels,
          datasets: [
            { label: 'Handoff %', data: report.groups.map((group) => share(group.handoffRate)), borderColor: COLORS.red, backgroundColor: COLORS.red },
            { label: 'Clarification %', data: report.groups.map((group) => share(group.clarificationRate)), borderColor: COLORS.amber, backgroundColor: COLORS.amber },
            { label: 'Retrieval %', data: report.groups.map((group) => share(group.retrievalRate)), borderColor: COLORS.sky, backgroundColor: COLORS.sky },
          ],
        },
        options: { ...common, scales: { y: percentAxis } },
      }),
      new Chart(canvas('chart-feedback'), {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { label: 'Thumbs up', data: report.groups.map((group) => group.thumbsUp), backgroundColor: COLORS.green },
            { label: 'Thumbs down', data: report.groups.map((group) => group.thumbsDown), backgroundColor: COLORS.red },
          ],
        },
        options: { ...common, scales: { x: { stacked: true }, y: { ...countAxis, stacked: true } } },
      }),
      new Chart(canvas('chart-csat'), {
        type: 'bar',
        data: {
          labels: ['1', '2', '3', '4', '5'],
          datasets: [{ label: 'Conversations rated', data: [...report.total.csat.distribution], backgroundColor: [COLORS.red, COLORS.amber, COLORS.slate, COLORS.sky, COLORS.green] }],
        },
        options: { ...common, plugins: { legend: { display: false } }, scales: { y: countAxis } },
      }),
      new Chart(canvas('chart-times'), {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { label: 'First response, median', data: report.groups.map((group) => minutes(group.firstResponseSeconds.median)), backgroundColor: COLORS.accent },
            { label: 'First response, p90', data: report.groups.map((group) => minutes(group.firstResponseSeconds.p90)), backgroundColor: '#a5b4fc' },
            { label: 'Resolution, median', data: report.groups.map((group) => minutes(group.resolutionSeconds.median)), backgroundColor: COLORS.green },
            { label: 'Resolution, p90', data: report.groups.map((group) => minutes(group.resolutionSeconds.p90)), backgroundColor: '#86efac' },
          ],
        },
        options: { ...common, scales: { y: { beginAtZero: true } } },
      }),
    ];
  }

  /** @param {string} id */
  function canvas(id) {
    const element = $(id);
    if (!(element instanceof HTMLCanvasElement)) throw new Error(`reports: #${id} is no canvas`);
    return element;
  }

  /** The table under the charts: every figure of every group, and the total. @param {DeskReport} report */
  function renderGroups(report) {
    /** @type {Array<[header: string, value: (figures: ReportFigures) => string]>} */
    const columns = [
      ['Conversations', (f) => count(f.conversations)],
      ['Visitor messages', (f) => count(f.visitorMessages)],
      ['Containment', (f) => percent(f.containment)],
      ['Handoff', (f) => percent(f.handoffRate)],
      ['Clarification', (f) => percent(f.clarificationRate)],
      ['Retrieval', (f) => percent(f.retrievalRate)],
      ['▲', (f) => count(f.thumbsUp)],
      ['▼', (f) => count(f.thumbsDown)],
      ['Unanswered', (f) => count(f.unanswered)],
      ['Unsure', (f) => count(f.lowConfidence)],
      ['CSAT', (f) => (f.csat.average === null ? '–' : `${f.csat.average.toFixed(2)} (${f.csat.responses})`)],
      ['First response', (f) => durationPair(f.firstResponseSeconds)],
      ['Resolution', (f) => durationPair(f.resolutionSeconds)],
    ];
    const row = (/** @type {string} */ label, /** @type {ReportFigures} */ figures, /** @type {string} */ className) =>
      h('tr', { class: className }, h('th', { scope: 'row' }, label), columns.map(([, value]) => h('td', {}, value(figures))));
    $('report-groups').replaceChildren(
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, GROUP_NAMES[report.groupBy]), columns.map(([header]) => h('th', { scope: 'col' }, header)))),
      h('tbody', {}, report.groups.map((group) => row(groupLabel(group), group, 'group')), row('Total', report.total, 'total')),
    );
  }

  /** @param {DeskReport} report */
  function renderRequests(report) {
    const { requests } = report;
    const all = requests.unanswered + requests.lowConfidence;
    $('report-requests-meta').textContent = all === 0 ? '' : `${count(requests.unanswered)} unanswered, ${count(requests.lowConfidence)} unsure${requests.considered < all ? `; the newest ${count(requests.considered)} grouped` : ''}`;
    $('report-requests-empty').hidden = requests.top.length > 0;
    $('report-requests').hidden = requests.top.length === 0;
    $('report-requests').replaceChildren(
      h('thead', {}, h('tr', {}, ['Request (redacted)', 'Times', 'Unanswered', 'Unsure', 'Last'].map((header) => h('th', { scope: 'col' }, header)))),
      h('tbody', {}, requests.top.map((request) =>
        h('tr', { class: 'request' },
          h('td', { class: 'request-text' }, request.text),
          h('td', {}, count(request.count)),
          h('td', {}, count(request.unanswered)),
          h('td', {}, count(request.lowConfidence)),
          h('td', { class: 'muted' }, new Date(request.lastAt).toLocaleDateString())))),
    );
  }
})();
