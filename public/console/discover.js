// @ts-check
// The console's Discover tab (admins): run intent discovery over the logged and imported
// conversations, then review its clusters: accept one as a new intent (name, label, examples and
// answer edited), add it to an existing intent, merge, split, move examples, mark noise. Plain
// JavaScript beside app.js; it shares only the session token (sessionStorage) and the page.
// Every text goes into the page as text, never as HTML.

/** @typedef {Omit<import('../../src/discovery/review.ts').DiscoveryRun, 'texts'>} DiscoveryRun */
/** @typedef {import('../../src/discovery/review.ts').ReviewCluster} ReviewCluster */

(() => {
  'use strict';

  const TOKEN_KEY = 'frontdesk.agentToken';
  const state = {
    run: /** @type {DiscoveryRun | null} */ (null),
    selected: /** @type {string | null} */ (null),
    intents: /** @type {Array<{ name: string, label: string }>} */ ([]),
    polling: /** @type {number | null} */ (null),
  };

  /** @param {string} id */
  function el(id) {
    const element = document.getElementById(id);
    if (!(element instanceof HTMLElement)) throw new Error(`discover: no #${id}`);
    return element;
  }

  const shared = window.frontdeskConsole;
  if (!shared) return;
  // The console's element builder (app.js): every text goes in as a text node.
  const { h } = shared;

  /**
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function call(path, body) {
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(path, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => ({ ok: false, error: { message: response.statusText } }));
    if (!data.ok) throw new Error(data.error?.message || 'request failed');
    return data;
  }

  /** @param {string} text */
  function status(text) {
    el('discover-status').textContent = text;
    el('discover-status').hidden = !text;
  }

  /** Shows the Discover view instead of the conversation when its tab is chosen. @param {boolean} active */
  function show(active) {
    el('panel-discover').hidden = !active;
    el('discover-view').hidden = !active;
    el('conversation').hidden = active;
    if (active && !state.run) loadLatest();
  }

  document.querySelectorAll('.tab').forEach((tab) => {
    if (!(tab instanceof HTMLElement)) return;
    tab.addEventListener('click', () => show(tab.dataset.tab === 'discover'));
  });

  async function loadLatest() {
    try {
      const { runs } = await call('/api/agent/discovery/runs');
      const intents = await call('/api/agent/intents');
      state.intents = intents.intents;
      if (runs.length > 0) await openRun(runs[0].id);
      else status('No discovery yet: start one above.');
    } catch (error) {
      status(error instanceof Error ? error.message : String(error));
    }
  }

  /** @param {string} id */
  async function openRun(id) {
    const { run } = await call(`/api/agent/discovery/runs/${id}`);
    state.run = run;
    render();
    if (run.status === 'running' || run.clusters.some((/** @type {ReviewCluster} */ c) => c.resolution?.retraining?.status === 'running')) {
      if (state.polling === null) state.polling = window.setTimeout(() => { state.polling = null; openRun(id); }, 1500);
    }
  }

  el('discover-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const k = /** @type {HTMLInputElement} */ (el('discover-k')).value;
    const granularity = /** @type {HTMLInputElement} */ (el('discover-granularity')).value;
    const languages = /** @type {HTMLInputElement} */ (el('discover-languages')).value.split(/[\s,]+/).filter(Boolean);
    try {
      status('Discovering…');
      const { run } = await call('/api/agent/discovery/runs', { ...(k ? { k: Number(k) } : {}), ...(granularity ? { granularity: Number(granularity) } : {}), ...(languages.length ? { languages } : {}) });
      state.selected = null;
      await openRun(run.id);
    } catch (error) {
      status(error instanceof Error ? error.message : String(error));
    }
  });

  function render() {
    const run = state.run;
    if (!run) return;
    if (run.status === 'running') status(`Discovering… ${run.progress ? `${run.progress.phase} ${run.progress.done}/${run.progress.total}` : ''}`);
    else if (run.status === 'failed') status(`Discovery failed: ${run.error || ''}`);
    else status(`${run.clusters.filter((c) => c.status === 'open').length} open of ${run.clusters.length} clusters from ${run.requests} requests; k ${run.k} (${run.kChosen}); long tail ${run.longTailSize}.`);
    el('discover-clusters').replaceChildren(
      ...run.clusters.map((cluster) =>
        h('li', { class: `reuse-item discover-cluster${cluster.id === state.selected ? ' active' : ''}`, onclick: () => { state.selected = cluster.id; render(); } },
          h('strong', null, cluster.label), ' ',
          h('span', { class: 'muted small' }, `${cluster.size} · cohesion ${cluster.cohesion.toFixed(2)} · ${cluster.status}`),
          cluster.overlaps.length ? h('div', { class: 'muted small' }, `overlaps ${cluster.overlaps.map((o) => o.intent).join(', ')}`) : null,
        ),
      ),
    );
    renderDetail();
  }

  /** The nodes that are there. @param {...(Node | null)} nodes @returns {Node[]} */
  const present = (...nodes) => nodes.filter((node) => node !== null).map((node) => /** @type {Node} */ (node));

  /** @param {string} label @param {HTMLElement} control */
  const field = (label, control) => h('label', { class: 'discover-field' }, label, control);

  function renderDetail() {
    const run = state.run;
    const cluster = run?.clusters.find((c) => c.id === state.selected);
    const view = el('discover-detail');
    if (!run || !cluster) {
      view.replaceChildren(h('p', { class: 'muted' }, 'Pick a cluster to review it.'));
      if (run && run.longTail.length) view.append(h('h3', null, 'Long tail'), h('ul', null, ...run.longTail.slice(0, 30).map((item) => h('li', null, `${item.count}× ${item.text}`))));
      return;
    }
    const open = cluster.status === 'open';
    const name = h('input', { value: cluster.name, 'aria-label': 'Intent name' });
    const label = h('input', { value: cluster.label, maxlength: 40, 'aria-label': 'Label' });
    const examples = h('textarea', { rows: 10, 'aria-label': 'Examples, one per line' });
    examples.value = cluster.examples.join('\n');
    const answer = h('textarea', { rows: 3, 'aria-label': 'Answer' });
    answer.value = cluster.answers[0]?.text || '';
    const others = run.clusters.filter((c) => c.id !== cluster.id && c.status === 'open');
    const target = h('select', { 'aria-label': 'Other cluster' }, ...others.map((c) => h('option', { value: c.id }, `${c.label} (${c.size})`)));
    const intent = h('select', { 'aria-label': 'Existing intent' }, ...state.intents.map((i) => h('option', { value: i.name }, i.label)));
    const error = h('p', { class: 'error', role: 'alert', hidden: true });
    /** @param {() => Promise<any>} action */
    const act = (action) => async () => {
      error.hidden = true;
      try {
        await action();
        await openRun(run.id);
      } catch (failure) {
        error.textContent = failure instanceof Error ? failure.message : String(failure);
        error.hidden = false;
      }
    };
    const base = `/api/agent/discovery/runs/${run.id}`;
    const lines = () => examples.value.split('\n').map((line) => line.trim()).filter(Boolean);
    view.replaceChildren(...present(
      h('h2', null, cluster.label, ' ', h('span', { class: 'status' }, cluster.status)),
      h('p', { class: 'muted small' }, `${cluster.size} requests · cohesion ${cluster.cohesion.toFixed(2)} · keywords: ${cluster.keywords.join(', ')}${cluster.languages.length ? ` · ${cluster.languages.join(', ')}` : ''}`),
      cluster.resolution?.intent ? h('p', null, `${cluster.status === 'accepted' ? 'Accepted as' : 'Added to'} ${cluster.resolution.intent}; retraining: ${cluster.resolution.retraining?.status || '–'}`) : null,
      cluster.overlaps.length ? h('p', { class: 'muted small' }, `Overlaps: ${cluster.overlaps.map((o) => `${o.intent} (${Math.round(o.share * 100)}%)`).join(', ')}`) : null,
      field('Name', name),
      field('Label', label),
      field('Examples (one per line; at least 8)', examples),
      field('Answer', answer),
      cluster.answers.length > 1 ? h('p', { class: 'muted small' }, 'Other mined answers: ', ...cluster.answers.slice(1).map((a) => h('span', { class: 'chip' }, a.text))) : null,
      error,
      open ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary', onclick: act(() => call(`${base}/clusters/${cluster.id}/accept`, { name: name.value.trim(), label: label.value.trim(), examples: lines(), answer: answer.value.trim() })) }, 'Accept as new intent'),
        intent, h('button', { type: 'button', onclick: act(() => call(`${base}/clusters/${cluster.id}/add`, { intent: intent.value })) }, 'Add to intent'),
        h('button', { type: 'button', onclick: act(() => call(`${base}/clusters/${cluster.id}/split`, { parts: 2 })) }, 'Split in two'),
        target,
        h('button', { type: 'button', onclick: act(() => call(`${base}/merge`, { clusters: [cluster.id, target.value] })) }, 'Merge with'),
        h('button', { type: 'button', title: 'Moves the examples left in the box above that are not in the cluster’s list… select lines first', onclick: act(() => call(`${base}/move`, { from: cluster.id, to: target.value, examples: examples.value.slice(examples.selectionStart, examples.selectionEnd).split('\n').map((line) => line.trim()).filter(Boolean) })) }, 'Move selected lines to'),
        h('button', { type: 'button', class: 'ghost', onclick: act(() => call(`${base}/clusters/${cluster.id}/noise`, {})) }, 'Mark noise'),
      ) : null,
    ));
  }
})();
