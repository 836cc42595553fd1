// @ts-check
// The console's Catalogue tab (admins): the intents, the bot's own texts and the knowledge documents
// as kept in Postgres. Search, edit a document's YAML or Markdown (validation problems shown beside
// the editor with their line and field), add, retire, preview the bot's answer with the unsaved
// text, read the history and undo. A saved change reaches every server process at once. Plain
// JavaScript beside app.js; it shares only the session token (sessionStorage) and the page. Every
// text goes into the page as text, never as HTML.

/**
 * @typedef {{ path: string, kind: string, name: string, retired: boolean, revision: number, updatedAt: string,
 *   label?: string, description?: string, examples?: number, languages?: string[], action?: string | null }} DocumentSummary
 * @typedef {DocumentSummary & { content: string | null, answers?: Record<string, string[]> }} CatalogueDocument
 * @typedef {{ path: string, revision: number, change: string, content: string | null, previous: string | null,
 *   examplesChanged: boolean, actor: { kind: string, id: string | null, name: string }, at: string }} Revision
 * @typedef {{ file: string, field?: string, line?: number, column?: number, message: string }} Problem
 * @typedef {{ version: string | null, trainedAt: string | null, stale: boolean, examplesChangedAt: string | null,
 *   examplesChangedIn: string | null, retraining: { status: string, outcome?: { promoted: boolean, version: string, decision?: string }, message?: string } }} ModelState
 * @typedef {import('../../src/dialogue/preview.ts').Preview} Preview
 */

(() => {
  'use strict';

  const TOKEN_KEY = 'frontdesk.agentToken';
  const API = '/api/agent/catalogue';
  const state = {
    documents: /** @type {DocumentSummary[]} */ ([]),
    /** The open document: its path, the revision it was read at (0: new) and whether it is retired. */
    open: /** @type {{ path: string, revision: number, retired: boolean } | null} */ (null),
    polling: /** @type {number | null} */ (null),
    searchTimer: /** @type {number | null} */ (null),
  };

  /** @param {string} id */
  function el(id) {
    const element = document.getElementById(id);
    if (!(element instanceof HTMLElement)) throw new Error(`catalogue: no #${id}`);
    return element;
  }

  /** @param {string} id */
  const input = (id) => /** @type {HTMLInputElement | HTMLTextAreaElement} */ (el(id));

  const shared = window.frontdeskConsole;
  if (!shared) return;
  // The console's element builder (app.js): every text goes in as a text node.
  const { h } = shared;

  class ApiError extends Error {
    /** @param {string} code @param {string} message @param {Problem[]} problems */
    constructor(code, message, problems) {
      super(message);
      this.code = code;
      this.problems = problems;
    }
  }

  /**
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @returns {Promise<any>}
   */
  async function call(method, path, body) {
    /** @type {Record<string, string>} */
    const headers = { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY) || ''}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${API}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => ({ ok: false, error: { code: 'INTERNAL', message: response.statusText } }));
    if (!data.ok) throw new ApiError(data.error?.code || 'INTERNAL', data.error?.message || 'request failed', data.error?.problems || []);
    return data;
  }

  /** A document path in a URL: its segments encoded, its slashes kept. @param {string} path */
  const encodePath = (path) => path.split('/').map(encodeURIComponent).join('/');

  /** @param {string} text @param {boolean} [error] */
  function status(text, error = false) {
    const line = el('catalogue-status');
    line.textContent = text;
    line.hidden = !text;
    line.classList.toggle('error', error);
  }

  document.addEventListener('console:tab', (event) => {
    const active = /** @type {CustomEvent} */ (event).detail === 'catalogue';
    el('panel-catalogue').hidden = !active;
    el('catalogue-view').hidden = !active;
    // The editor takes the conversation's place (a class, not its `hidden`, which other views set too).
    el('app').classList.toggle('catalogue-open', active);
    if (active) loadList();
  });

  async function loadList() {
    try {
      const query = input('catalogue-search').value.trim();
      const { documents, model } = await call('GET', `/${query ? `?q=${encodeURIComponent(query)}` : ''}`);
      state.documents = documents;
      renderList();
      renderModel(model);
    } catch (error) {
      status(error instanceof Error ? error.message : String(error), true);
    }
  }

  function renderList() {
    /** @type {Array<[string, DocumentSummary[]]>} */
    const groups = [
      ['Intents', state.documents.filter((d) => d.kind === 'intent')],
      ["The bot's own texts, entities, out of scope", state.documents.filter((d) => d.kind === 'bot' || d.kind === 'entities' || d.kind === 'out_of_scope')],
      ['Knowledge documents', state.documents.filter((d) => d.kind === 'knowledge' || d.kind === 'knowledge_data')],
    ];
    el('catalogue-list').replaceChildren(
      ...groups.filter(([, documents]) => documents.length > 0).flatMap(([title, documents]) => [
        h('li', { class: 'catalogue-group muted small' }, title),
        ...documents.map((document) =>
          h('li', {
            class: `reuse-item catalogue-item${state.open?.path === document.path ? ' active' : ''}`,
            'data-path': document.path,
            tabindex: '0',
            onclick: () => openDocument(document.path),
            onkeydown: (/** @type {KeyboardEvent} */ event) => { if (event.key === 'Enter') openDocument(document.path); },
          },
            h('strong', null, document.kind === 'intent' ? document.name : document.path), ' ',
            document.label ? h('span', { class: 'muted small' }, document.label) : null,
            document.kind === 'intent' ? h('div', { class: 'muted small' }, `${document.examples ?? 0} examples · ${(document.languages || []).join(', ')}${document.action ? ` · action ${document.action}` : ''} · rev. ${document.revision}`) : null,
          )),
      ]),
    );
  }

  /** @param {ModelState} model */
  function renderModel(model) {
    const line = el('catalogue-model');
    const retraining = model.retraining;
    const parts = [`Model ${model.version || '–'}`];
    if (model.stale) parts.push(`stale: examples changed (${model.examplesChangedIn}) after it was trained`);
    else parts.push('knows the current examples');
    if (retraining.status === 'running') parts.push('retraining…');
    if (retraining.status === 'done' && retraining.outcome) parts.push(`last retraining: ${retraining.outcome.version} ${retraining.outcome.promoted ? 'promoted' : `kept back (${retraining.outcome.decision || 'rejected'})`}`);
    if (retraining.status === 'failed') parts.push(`last retraining failed: ${retraining.message || ''}`);
    line.textContent = parts.join(' · ');
    line.classList.toggle('stale', model.stale);
    /** @type {HTMLButtonElement} */ (el('catalogue-retrain')).disabled = retraining.status === 'running';
    if (retraining.status === 'running' && state.polling === null) {
      state.polling = window.setTimeout(async () => {
        state.polling = null;
        try {
          renderModel((await call('GET', '/model')).model);
        } catch (error) {
          status(error instanceof Error ? error.message : String(error), true);
        }
      }, 2000);
    }
  }

  /** @param {string} path */
  async function openDocument(path) {
    try {
      const document = /** @type {CatalogueDocument} */ ((await call('GET', `/documents/${encodePath(path)}`)).document);
      showEditor(document.path, document.content ?? '', document.revision, document.retired);
      renderAnswers(document.answers);
      await loadHistory();
    } catch (error) {
      status(error instanceof Error ? error.message : String(error), true);
    }
  }

  /** @param {string} path @param {string} content @param {number} revision @param {boolean} retired */
  function showEditor(path, content, revision, retired) {
    state.open = { path, revision, retired };
    el('catalogue-editor').hidden = false;
    el('catalogue-empty').hidden = true;
    el('catalogue-path').textContent = path;
    el('catalogue-revision').textContent = revision === 0 ? 'new, not saved yet' : `revision ${revision}${retired ? ' · retired' : ''}`;
    input('catalogue-text').value = content;
    /** @type {HTMLButtonElement} */ (el('catalogue-retire')).disabled = revision === 0 || retired;
    showProblems([]);
    renderAnswers(undefined);
    el('catalogue-preview-result').replaceChildren();
    renderList();
  }

  /** An intent's answers as fields, one textarea per language with a variant per line; hidden for other documents. @param {Record<string, string[]> | undefined} answers */
  function renderAnswers(answers) {
    el('catalogue-answers').hidden = !answers;
    el('catalogue-answer-fields').replaceChildren(...Object.entries(answers || {}).map(([language, variants]) => answerField(language, variants)));
  }

  /** @param {string} language @param {string[]} variants */
  function answerField(language, variants) {
    const id = `catalogue-answer-${language}`;
    return h('div', { class: 'catalogue-answer', 'data-language': language },
      h('label', { for: id }, language),
      h('textarea', { id, rows: String(Math.max(2, variants.length)), 'data-language': language, 'aria-label': `Answers in ${language}` }, variants.join('\n')),
      h('p', { class: 'error small catalogue-field-problem', 'data-problem-for': language, role: 'alert', hidden: true }),
    );
  }

  /** The problems beside the editor; clicking one selects its line. @param {Problem[]} problems */
  function showProblems(problems) {
    el('catalogue-problems').hidden = problems.length === 0;
    el('catalogue-problems').replaceChildren(
      ...problems.map((problem) =>
        h('li', { class: 'catalogue-problem', onclick: () => selectLine(problem.line) },
          h('span', { class: 'catalogue-where' }, [problem.file, problem.line ? `line ${problem.line}` : null, problem.field].filter(Boolean).join(' · ')), ' ',
          problem.message,
        ),
      ),
    );
  }

  /** @param {number | undefined} line */
  function selectLine(line) {
    if (!line) return;
    const editor = /** @type {HTMLTextAreaElement} */ (el('catalogue-text'));
    const lines = editor.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    editor.focus();
    editor.setSelectionRange(start, start + (lines[line - 1] || '').length);
  }

  /** Shows a refusal: its problems beside the editor (an answer's beside its field), else its message. @param {unknown} error */
  function refused(error) {
    if (error instanceof ApiError && error.problems.length > 0) {
      showProblems(error.problems);
      document.querySelectorAll('.catalogue-field-problem').forEach((line) => {
        if (!(line instanceof HTMLElement)) return;
        const mine = error.problems.filter((problem) => problem.file === state.open?.path && (problem.field || '').match(/^answers\.([^.[]+)/)?.[1] === line.dataset.problemFor);
        line.textContent = mine.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
        line.hidden = mine.length === 0;
      });
      status('Not saved: fix the problems listed beside the editor.', true);
    } else {
      status(error instanceof Error ? error.message : String(error), true);
    }
  }

  async function loadHistory() {
    const open = state.open;
    if (!open || open.revision === 0) {
      el('catalogue-history').replaceChildren();
      return;
    }
    const { revisions } = await call('GET', `/history/${encodePath(open.path)}`);
    el('catalogue-history').replaceChildren(
      .../** @type {Revision[]} */ (revisions).map((revision) =>
        h('li', { class: 'catalogue-revision' },
          h('span', null, `${revision.revision} · ${revision.change} · ${revision.actor.name} · ${new Date(revision.at).toLocaleString()}${revision.examplesChanged ? ' · examples changed' : ''}`), ' ',
          revision.revision !== open.revision
            ? h('button', { type: 'button', class: 'ghost small', onclick: () => restore(revision.revision) }, 'Restore')
            : h('span', { class: 'muted small' }, 'current'),
        ),
      ),
    );
    // Undo: back to the revision before the current one.
    /** @type {HTMLButtonElement} */ (el('catalogue-undo')).disabled = open.revision < 2;
  }

  /**
   * Sends a change of the open document (retire, restore) and shows what it made of it.
   * @param {string} path
   * @param {string} method
   * @param {string} route
   * @param {object | undefined} body
   * @param {(revision: number) => string} describe
   */
  async function change(path, method, route, body, describe) {
    try {
      const { revision, model } = await call(method, route, body);
      status(describe(revision.revision));
      renderModel(model);
      await openDocument(path);
      await loadList();
    } catch (error) {
      refused(error);
    }
  }

  /** @param {number} revision */
  async function restore(revision) {
    const open = state.open;
    if (!open) return;
    await change(open.path, 'POST', `/restore/${encodePath(open.path)}`, { revision },
      (restored) => `Restored revision ${revision} as revision ${restored}; every server answers with it now.`);
  }

  el('catalogue-search').addEventListener('input', () => {
    if (state.searchTimer !== null) window.clearTimeout(state.searchTimer);
    state.searchTimer = window.setTimeout(() => { state.searchTimer = null; loadList(); }, 250);
  });

  el('catalogue-new').addEventListener('submit', (event) => {
    event.preventDefault();
    const name = input('catalogue-new-name').value.trim();
    const kind = /** @type {HTMLSelectElement} */ (el('catalogue-new-kind')).value;
    if (!name) return;
    const path = kind === 'knowledge' ? `knowledge/${name.replace(/\.md$/, '')}.md` : `${name.replace(/\.ya?ml$/, '')}.yaml`;
    const content = kind === 'knowledge'
      ? `# ${name}\n\n## A question visitors ask\n\nThe answer.\n`
      : `name: ${name}\nlabel: ${name.replace(/_/g, ' ')}\ndescription: What the visitor wants, in one sentence.\nexamples:\n  - a first example of what visitors write\nanswers:\n  en:\n    - "The answer."\n`;
    showEditor(path, content, 0, false);
    el('catalogue-history').replaceChildren();
    status('Write the document, then Save.');
  });

  el('catalogue-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const open = state.open;
    if (!open) return;
    try {
      const { revision, model } = await call('PUT', `/documents/${encodePath(open.path)}`, { content: input('catalogue-text').value, baseRevision: open.revision });
      status(`Saved as revision ${revision.revision}; every server answers with it now.${revision.examplesChanged ? ' The examples changed: retrain the model so that it learns them.' : ''}`);
      renderModel(model);
      state.open = { path: open.path, revision: revision.revision, retired: false };
      showEditor(open.path, input('catalogue-text').value, revision.revision, false);
      await loadHistory();
      await loadList();
    } catch (error) {
      refused(error);
    }
  });

  /** The answer fields' variants by language (empty lines and languages left out). */
  function answerFields() {
    /** @type {Record<string, string[]>} */
    const answers = {};
    document.querySelectorAll('#catalogue-answer-fields textarea').forEach((field) => {
      if (!(field instanceof HTMLTextAreaElement) || !field.dataset.language) return;
      const variants = field.value.split('\n').map((line) => line.trim()).filter(Boolean);
      if (variants.length > 0) answers[field.dataset.language] = variants;
    });
    return answers;
  }

  el('catalogue-answer-add').addEventListener('click', () => {
    const language = input('catalogue-answer-language').value.trim();
    if (!language || document.querySelector(`.catalogue-answer[data-language="${CSS.escape(language)}"]`)) return;
    el('catalogue-answer-fields').append(answerField(language, []));
    input('catalogue-answer-language').value = '';
  });

  el('catalogue-answers').addEventListener('submit', async (event) => {
    event.preventDefault();
    const open = state.open;
    if (!open) return;
    try {
      const { revision, model } = await call('PUT', `/answers/${encodePath(open.path)}`, { answers: answerFields(), baseRevision: open.revision });
      await openDocument(open.path);
      status(`Saved as revision ${revision.revision}; every server answers with it now.`);
      renderModel(model);
      await loadList();
    } catch (error) {
      refused(error);
    }
  });

  el('catalogue-retire').addEventListener('click', async () => {
    const open = state.open;
    if (!open || !window.confirm(`Retire ${open.path}? The bot stops using it; its history stays and Restore brings it back.`)) return;
    await change(open.path, 'DELETE', `/documents/${encodePath(open.path)}?baseRevision=${open.revision}`, undefined, (retired) => `Retired (revision ${retired}).`);
  });

  el('catalogue-undo').addEventListener('click', () => {
    if (state.open && state.open.revision >= 2) restore(state.open.revision - 1);
  });

  el('catalogue-preview').addEventListener('submit', async (event) => {
    event.preventDefault();
    const open = state.open;
    const text = input('catalogue-preview-text').value.trim();
    if (!text) return;
    const language = /** @type {HTMLSelectElement} */ (el('catalogue-preview-language')).value;
    try {
      // The text as edited, with the answer fields' answers (an intent's) in place of its own.
      const answers = el('catalogue-answers').hidden ? {} : { answers: answerFields() };
      const drafts = open ? [{ path: open.path, content: input('catalogue-text').value, ...answers }] : [];
      const { preview } = /** @type {{ preview: Preview }} */ (await call('POST', '/preview', { text, drafts, ...(language ? { language } : {}) }));
      showProblems([]);
      const reply = preview.reply;
      const buttons = reply?.suggestions?.length ? [h('div', { class: 'muted small' }, `buttons: ${reply.suggestions.map((s) => s.label).join(', ')}`)] : [];
      el('catalogue-preview-result').replaceChildren(
        h('div', { class: 'catalogue-preview-reply', 'aria-label': 'Preview reply' }, reply ? messageContent(reply) : preview.action ? `(calls the action ${preview.action.name})` : '(the bot stays silent)'),
        h('div', { class: 'muted small' },
          [reply ? `source ${reply.source}` : null, reply?.intent ? `intent ${reply.intent}` : null,
            `model: ${preview.guess.intent || 'unsure'} ${preview.guess.confidence.toFixed(2)}`, `language ${preview.language}`].filter(Boolean).join(' · ')),
        ...buttons,
      );
    } catch (error) {
      refused(error);
    }
  });

  el('catalogue-retrain').addEventListener('click', async () => {
    try {
      const { model } = await call('POST', '/retrain', {});
      status('Retraining started: the new model is promoted only if it passes the gate.');
      renderModel(model);
    } catch (error) {
      refused(error);
    }
  });
})();
