// @ts-check
// frontdesk agent console: plain JavaScript, no framework, no build step.
// REST (/api/agent) for sign-in and transcript review; the /agent Socket.IO namespace for the live
// queue, live messages and actions. Every visitor text is put into the page as text, never as HTML.

/** @typedef {import('../../src/agents/views.ts').MessageView} MessageView */
/** @typedef {import('../../src/agents/views.ts').VisitorView} VisitorView */
/** A transcript with the actions the signed-in agent may take. @typedef {Awaited<ReturnType<import('../../src/agents/workspace.ts').AgentWorkspace['transcript']>>} Transcript */
/** @typedef {import('../../src/agents/workspace.ts').IntentOption} IntentOption */
/** @typedef {import('../../src/agents/state-machine.ts').AgentAction} AgentAction */
/** @typedef {import('../../src/agents/state-machine.ts').ConversationStatus} ConversationStatus */
/** @typedef {import('../../src/agents/reuse-review.ts').HarvestedAnswerView} HarvestedAnswer */
/** @typedef {import('../../src/store/workspace-store.ts').ConversationSummary} ConversationSummary */
/** @typedef {import('../../src/store/workspace-store.ts').ConversationPage} ConversationPage */
/** The signed-in agent (`/me`, sign-in). @typedef {Pick<import('../../src/agents/auth.ts').PublicAgent, 'id' | 'email' | 'name' | 'role'>} Agent */
/** @typedef {import('../../src/protocol/errors.ts').ErrorBody} ErrorBody */
/** A visitor a finder matched (admins). @typedef {import('../../src/store/data-rights-store.ts').VisitorMatch} VisitorMatch */
/** @typedef {import('../../src/privacy/data-rights.ts').Erasure} Erasure */
/** @typedef {import('../../src/store/audit-store.ts').AuditEventView} AuditEvent */
/** What `h` puts into an element: nodes, and text for anything else (nothing for null, undefined and false). @typedef {Node | string | number | null | undefined | false} Content */
/**
 * What `h` sets on an element: `class`, `dataset`, listeners (`onclick`, …) and attributes (a `true`
 * one is set empty; `undefined`, `null` and `false` ones are left out).
 * @typedef {{ class?: string, dataset?: Record<string, string> } & Partial<Pick<GlobalEventHandlers, 'onclick' | 'onkeydown'>> & Record<string, unknown>} Props
 */

(() => {
  'use strict';

  const TOKEN_KEY = 'frontdesk.agentToken';
  /** @type {Partial<Record<AgentAction, [label: string, className: string]>>} */
  const ACTION_LABELS = {
    take_over: ['Take over', 'primary'],
    release: ['Release to queue', ''],
    hand_back: ['Hand back to bot', ''],
    resolve: ['Resolve', ''],
  };
  /** @type {Record<ConversationStatus, string>} */
  const STATUS_LABELS = { bot: 'Bot', waiting_for_agent: 'Waiting', agent: 'With agent', resolved: 'Resolved' };

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY),
    agent: /** @type {Agent | null} */ (null),
    socket: /** @type {import('socket.io-client').Socket | null} */ (null),
    queue: /** @type {{ waiting: ConversationSummary[], active: ConversationSummary[] }} */ ({ waiting: [], active: [] }),
    /** @type {string | undefined} */
    tab: 'queue',
    selected: /** @type {string | null} */ (null),
    transcript: /** @type {Transcript | null} */ (null),
    intents: /** @type {IntentOption[]} */ ([]),
    review: { items: /** @type {ConversationSummary[]} */ ([]), cursor: /** @type {string | null} */ (null), loaded: false, query: '' },
    // Harvested agent answers waiting for approval before the bot reuses them.
    reuse: { items: /** @type {HarvestedAnswer[]} */ ([]), error: /** @type {string | null} */ (null) },
    /** @type {Set<string>} */
    unread: new Set(),
    editing: /** @type {string | null} */ (null),
    // Transcript review marks, from every conversation summary the console receives.
    /** @type {Map<string, ConversationSummary['reviewed']>} */
    reviewed: new Map(),
  };

  /** The element of index.html with this id. @param {string} id */
  const $ = (id) => byId(id, HTMLElement);

  /**
   * The element of index.html with this id, of class `type` (the page is ours: a miss is a bug).
   * @template {HTMLElement} T
   * @param {string} id
   * @param {new () => T} type
   * @returns {T}
   */
  function byId(id, type) {
    const element = document.getElementById(id);
    if (!(element instanceof type)) throw new Error(`console: no #${id}`);
    return element;
  }

  /** The page's elements that `selector` finds. @param {string} selector */
  const all = (selector) => [...document.querySelectorAll(selector)].filter((element) => element instanceof HTMLElement);

  /** @param {unknown} error */
  const messageOf = (error) => (error instanceof Error ? error.message : String(error));

  /** A refusal by the server, with its stable code. */
  class ApiError extends Error {
    /** @param {ErrorBody['error']} error */
    constructor(error) {
      super(error.message);
      this.code = error.code;
    }
  }

  /**
   * Creates an element; strings become text nodes (never HTML).
   * @template {keyof HTMLElementTagNameMap} K
   * @param {K} tag
   * @param {Props | null} props
   * @param {...(Content | Content[])} children
   * @returns {HTMLElementTagNameMap[K]}
   */
  function h(tag, props, ...children) {
    const element = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') element.className = String(value);
      else if (key === 'dataset') Object.assign(element.dataset, value);
      else if (key.startsWith('on')) element.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
      else if (value === true) element.setAttribute(key, '');
      else element.setAttribute(key, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      element.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return element;
  }

  function randomId() {
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  }

  // ---------------------------------------------------------------------------------------------
  // Server access

  /**
   * Calls the agent REST API (JSON); a refusal throws an ApiError. `T`: what the endpoint answers.
   * @template [T=unknown]
   * @param {string} path
   * @param {{ method?: string, body?: unknown }} [options]
   * @returns {Promise<T>}
   */
  async function api(path, options = {}) {
    /** @type {Record<string, string>} */
    const headers = {};
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`/api/agent${path}`, {
      method: options.method || (options.body === undefined ? 'GET' : 'POST'),
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const data = await response.json().catch(() => ({ ok: false, error: { code: 'INTERNAL', message: response.statusText } }));
    if (response.status === 401 && path !== '/login') signedOut('Your session ended; sign in again.');
    if (!data.ok) throw new ApiError(data.error);
    return data;
  }

  /**
   * Emits on the /agent namespace and resolves with the acknowledgement; a refusal throws an ApiError.
   * @template [T=unknown]
   * @param {string} event
   * @param {object} payload
   * @returns {Promise<T>}
   */
  async function emit(event, payload) {
    if (!state.socket) throw new Error('Not connected');
    const response = await state.socket.timeout(10000).emitWithAck(event, payload);
    if (!response.ok) throw new ApiError(response.error);
    return response;
  }

  // What views in files of their own (reports.js) use: the API with this tab's session, and `h`.
  window.frontdeskConsole = Object.freeze({ api, h, messageOf, token: () => state.token, socket: () => state.socket, selected: () => state.selected });

  // ---------------------------------------------------------------------------------------------
  // Sign-in

  /** @param {string} [message] */
  function showLogin(message) {
    $('app').hidden = true;
    $('login').hidden = false;
    $('login-error').hidden = !message;
    $('login-error').textContent = message || '';
    $('login-email').focus();
  }

  /** @param {string} [message] */
  function signedOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.token = null;
    if (state.socket) {
      state.socket.removeAllListeners();
      state.socket.close();
      state.socket = null;
    }
    state.selected = null;
    showLogin(message);
  }

  $('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const submit = byId('login-submit', HTMLButtonElement);
    const password = byId('login-password', HTMLInputElement);
    submit.disabled = true;
    $('login-error').hidden = true;
    try {
      /** @type {{ token: string, agent: Agent }} */
      const result = await api('/login', { body: { email: byId('login-email', HTMLInputElement).value, password: password.value } });
      state.token = result.token;
      sessionStorage.setItem(TOKEN_KEY, result.token);
      password.value = '';
      start(result.agent);
    } catch (error) {
      $('login-error').textContent = error instanceof ApiError && error.code === 'RATE_LIMITED' ? error.message : 'Wrong email or password.';
      $('login-error').hidden = false;
    } finally {
      submit.disabled = false;
    }
  });

  $('logout').addEventListener('click', async () => {
    try {
      await api('/logout', { body: {} });
    } catch {
      // Signed out locally either way.
    }
    signedOut();
  });

  /** @param {Agent} agent */
  function start(agent) {
    state.agent = agent;
    $('login').hidden = true;
    $('app').hidden = false;
    $('me').replaceChildren(agent.name, h('span', { class: 'role' }, agent.role === 'admin' ? 'admin' : 'agent'));
    connect();
    /** @type {Promise<{ intents: IntentOption[] }>} */
    const intents = api('/intents');
    intents.then((result) => { state.intents = result.intents; }, () => {});
    loadReuse();
    // A visitor's data and the audit log are for admins (the server refuses everyone else too).
    all('.admin-only').forEach((element) => { element.hidden = agent.role !== 'admin'; });
  }

  // ---------------------------------------------------------------------------------------------
  // Live updates

  function connect() {
    const socket = io('/agent', { auth: { token: state.token } });
    state.socket = socket;
    // agent-tools.js listens on it too (notes, attachments, typing, notifications).
    document.dispatchEvent(new CustomEvent('console:socket', { detail: socket }));
    socket.on('connect', () => {
      setConnection(true);
      // Rooms do not survive a reconnection: follow the open conversation again.
      if (state.selected) openConversation(state.selected, { quiet: true });
    });
    socket.on('disconnect', (reason) => {
      setConnection(false);
      // The server closes an agent's sockets when their rights change (and when it stops): connect
      // again; a token that is no longer valid then signs out through connect_error.
      if (reason === 'io server disconnect') socket.connect();
    });
    socket.on('connect_error', (error) => {
      setConnection(false);
      if (error.message === 'UNAUTHORIZED') signedOut('Your session ended; sign in again.');
    });
    socket.on('session_expired', () => signedOut('Your session expired; sign in again.'));
    socket.on('queue', (/** @type {typeof state.queue} */ queue) => {
      state.queue = queue;
      remember([...queue.waiting, ...queue.active]);
      renderQueue();
    });
    socket.on('conversation', (/** @type {ConversationSummary} */ summary) => {
      remember([summary]);
      if (summary.id !== state.selected && summary.last && summary.last.role === 'visitor' && summary.status !== 'bot') state.unread.add(summary.id);
      const index = state.review.items.findIndex((item) => item.id === summary.id);
      const listed = state.review.items[index];
      if (listed) {
        state.review.items[index] = { ...summary, match: listed.match };
        renderReview();
      }
      if (summary.id === state.selected) refreshSelected();
    });
    socket.on('message', (/** @type {MessageView} */ message) => {
      if (!state.transcript || message.conversationId !== state.transcript.id) return;
      addMessage(message);
    });
  }

  /** @param {boolean} live */
  function setConnection(live) {
    $('connection').textContent = live ? 'live' : 'reconnecting…';
    $('connection').classList.toggle('live', live);
  }

  // ---------------------------------------------------------------------------------------------
  // Sidebar

  all('.tab').forEach((tab) => tab.addEventListener('click', () => selectTab(tab.dataset.tab)));

  /** @param {string | undefined} name */
  function selectTab(name) {
    state.tab = name;
    all('.tab').forEach((tab) => tab.classList.toggle('active', tab.dataset.tab === name));
    for (const panel of ['queue', 'active', 'review', 'reuse', 'privacy', 'audit']) $(`panel-${panel}`).hidden = panel !== name;
    if (name === 'review' && !state.review.loaded) search();
    // Every resolved conversation may add answers: the list is read afresh each time.
    if (name === 'reuse') loadReuse();
    if (name === 'audit') loadAudit();
    // Views in files of their own (reports.js) follow the tabs through this event.
    document.dispatchEvent(new CustomEvent('console:tab', { detail: name }));
  }

  /** @param {string} id */
  function shortId(id) {
    return `#${id.slice(0, 8)}`;
  }

  /** @param {string} since an ISO date */
  function waitText(since) {
    const seconds = Math.max(0, Math.floor((Date.now() - new Date(since).getTime()) / 1000));
    if (seconds < 60) return `${seconds}s`;
    const minutes = Math.floor(seconds / 60);
    if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
    return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
  }

  /** @param {string} iso */
  function relativeTime(iso) {
    const date = new Date(iso);
    const today = new Date();
    const sameDay = date.toDateString() === today.toDateString();
    return sameDay ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString([], { month: 'short', day: 'numeric' });
  }

  /** @param {ConversationSummary[]} summaries */
  function remember(summaries) {
    for (const summary of summaries) state.reviewed.set(summary.id, summary.reviewed);
  }

  /** @param {ConversationSummary} summary */
  function flags(summary) {
    const list = [];
    if (summary.flags.lowConfidence) list.push(h('span', { class: 'flag warn' }, 'low confidence'));
    if (summary.flags.fallback) list.push(h('span', { class: 'flag warn' }, 'fallback'));
    if (summary.flags.negativeFeedback) list.push(h('span', { class: 'flag bad' }, 'negative feedback'));
    if (summary.flags.handedOver && summary.status !== 'waiting_for_agent') list.push(h('span', { class: 'flag' }, 'handed over'));
    if (summary.csat !== null && summary.csat !== undefined) list.push(h('span', { class: summary.csat <= 2 ? 'flag bad' : 'flag' }, `CSAT ${summary.csat}/5`));
    if (summary.reviewed) list.push(h('span', { class: 'flag' }, 'reviewed'));
    return list;
  }

  /** @param {ConversationSummary} summary @param {{ waiting?: boolean }} [options] */
  function conversationItem(summary, options = {}) {
    const classes = ['conversation-item'];
    if (summary.id === state.selected) classes.push('selected');
    if (state.unread.has(summary.id)) classes.push('unread');
    const right = options.waiting && summary.waitingSince
      ? h('span', { class: 'wait', dataset: { since: summary.waitingSince } }, `waiting ${waitText(summary.waitingSince)}`)
      : h('span', { class: 'muted small' }, relativeTime(summary.updatedAt));
    const preview = summary.last ? `${summary.last.role === 'visitor' ? '' : `${summary.last.role === 'agent' ? 'Agent' : 'Bot'}: `}${summary.last.text}` : 'No messages yet';
    return h(
      'li',
      { class: classes.join(' '), dataset: { id: summary.id }, tabindex: '0', onclick: () => openConversation(summary.id), onkeydown: (event) => { if (event.key === 'Enter') openConversation(summary.id); } },
      h('div', { class: 'item-top' },
        h('span', { class: 'item-title' }, shortId(summary.id), ' ', h('span', { class: `status ${summary.status}` }, STATUS_LABELS[summary.status])),
        right),
      summary.match ? snippet(summary.match.segments) : h('div', { class: 'preview' }, preview),
      h('div', { class: 'item-flags' },
        summary.assignee ? h('span', { class: 'flag' }, `with ${nameOf(summary.assignee)}`) : null,
        h('span', { class: 'flag' }, `${summary.messageCount} msg`),
        flags(summary)),
    );
  }

  /** "you" for the signed-in agent, else the name. @param {{ id: string, name: string }} agent */
  function nameOf(agent) {
    return state.agent && agent.id === state.agent.id ? 'you' : agent.name;
  }

  /** @param {NonNullable<ConversationSummary['match']>['segments']} segments */
  function snippet(segments) {
    return h('div', { class: 'snippet' }, segments.map((segment) => (segment.hit ? h('mark', {}, segment.text) : segment.text)));
  }

  function renderQueue() {
    const { waiting, active } = state.queue;
    $('count-waiting').textContent = String(waiting.length);
    $('count-waiting').classList.toggle('hot', waiting.length > 0);
    $('count-active').textContent = String(active.length);
    $('list-waiting').replaceChildren(...waiting.map((summary) => conversationItem(summary, { waiting: true })));
    $('list-active').replaceChildren(...active.map((summary) => conversationItem(summary)));
    $('empty-waiting').hidden = waiting.length > 0;
    $('empty-active').hidden = active.length > 0;
  }

  function renderReview() {
    $('list-review').replaceChildren(...state.review.items.map((summary) => conversationItem(summary)));
    $('empty-review').hidden = !state.review.loaded || state.review.items.length > 0;
    $('more-review').hidden = !state.review.cursor;
  }

  function reviewQuery() {
    const params = new URLSearchParams();
    const value = (/** @type {string} */ id) => byId(id, HTMLInputElement).value;
    const checked = (/** @type {string} */ id) => byId(id, HTMLInputElement).checked;
    const q = value('search-q').trim();
    if (q) params.set('q', q);
    const status = byId('filter-status', HTMLSelectElement).value;
    if (status) params.set('status', status);
    if (value('filter-from')) params.set('from', value('filter-from'));
    if (value('filter-to')) params.set('to', value('filter-to'));
    if (checked('filter-low')) params.set('lowConfidence', 'true');
    if (checked('filter-fallback')) params.set('fallback', 'true');
    if (checked('filter-negative')) params.set('negativeFeedback', 'true');
    if (checked('filter-handed')) params.set('handedOver', 'true');
    params.set('limit', '50');
    return params;
  }

  async function search(more = false) {
    const params = more ? new URLSearchParams(state.review.query) : reviewQuery();
    if (more && state.review.cursor) params.set('cursor', state.review.cursor);
    try {
      /** @type {ConversationPage} */
      const page = await api(`/conversations?${params}`);
      if (!more) state.review.query = reviewQuery().toString();
      remember(page.conversations);
      state.review.items = more ? state.review.items.concat(page.conversations) : page.conversations;
      state.review.cursor = page.nextCursor;
      state.review.loaded = true;
      renderReview();
    } catch (error) {
      $('empty-review').hidden = false;
      $('empty-review').textContent = messageOf(error);
    }
  }

  $('search-form').addEventListener('submit', (event) => {
    event.preventDefault();
    search();
  });
  for (const id of ['filter-status', 'filter-from', 'filter-to', 'filter-low', 'filter-fallback', 'filter-negative', 'filter-handed']) {
    $(id).addEventListener('change', () => search());
  }
  $('more-review').addEventListener('click', () => search(true));

  // ---------------------------------------------------------------------------------------------
  // Reuse review: an agent's answer reaches other visitors only once someone approves it here.

  async function loadReuse() {
    try {
      /** @type {{ answers: HarvestedAnswer[] }} */
      const { answers } = await api('/harvested-answers?status=pending&limit=200');
      state.reuse = { items: answers, error: null };
    } catch (error) {
      state.reuse = { items: [], error: messageOf(error) };
    }
    renderReuse();
  }

  function renderReuse() {
    const { items, error } = state.reuse;
    $('count-reuse').textContent = String(items.length);
    $('list-reuse').replaceChildren(...items.map(reuseItem));
    $('empty-reuse').textContent = error || 'No answer is waiting for review.';
    $('empty-reuse').hidden = !error && items.length > 0;
  }

  /** @param {HarvestedAnswer} answer */
  function reuseItem(answer) {
    const { conversationId } = answer;
    const text = h('textarea', { 'aria-label': 'Answer to reuse (redacted; edit before approving)' });
    text.value = answer.text;
    const failure = h('p', { class: 'error small', role: 'alert', hidden: true });
    const item = h('li', { class: 'reuse-item', dataset: { id: answer.id } },
      h('div', { class: 'muted small' }, `A visitor asked · ${relativeTime(answer.harvestedAt)}`),
      h('div', { class: 'reuse-question' }, answer.question),
      text,
      failure,
      h('div', { class: 'reuse-actions' },
        h('button', { type: 'button', class: 'primary small', dataset: { decision: 'approve' }, onclick: () => decide('approve') }, 'Approve for reuse'),
        h('button', { type: 'button', class: 'small danger', dataset: { decision: 'reject' }, onclick: () => decide('reject') }, 'Reject'),
        conversationId ? h('button', { type: 'button', class: 'link', onclick: () => openConversation(conversationId) }, `conversation ${shortId(conversationId)}`) : null));
    const buttons = () => item.querySelectorAll('button');
    /** @param {'approve' | 'reject'} decision */
    async function decide(decision) {
      buttons().forEach((button) => { button.disabled = true; });
      try {
        // The server redacts an edited text again before storing it.
        await api(`/harvested-answers/${answer.id}/${decision}`, { body: decision === 'approve' ? { text: text.value } : {} });
        state.reuse.items = state.reuse.items.filter((other) => other.id !== answer.id);
        renderReuse();
      } catch (error) {
        failure.textContent = messageOf(error);
        failure.hidden = false;
        buttons().forEach((button) => { button.disabled = false; });
      }
    }
    return item;
  }

  // ---------------------------------------------------------------------------------------------
  // Privacy (admins): find a visitor, export everything stored about them, or erase it.

  /** What the last search asked for, to search again after an erasure. @type {URLSearchParams | null} */
  let privacyQuery = null;

  /** @param {string} text */
  function privacyStatus(text) {
    $('privacy-status').textContent = text;
    $('privacy-status').hidden = !text;
  }

  async function findVisitors() {
    if (!privacyQuery) return;
    try {
      /** @type {{ visitors: VisitorMatch[] }} */
      const { visitors } = await api(`/visitors?${privacyQuery}`);
      $('privacy-results').replaceChildren(...visitors.map(privacyItem));
      if (visitors.length === 0) privacyStatus('No visitor matches.');
    } catch (error) {
      $('privacy-results').replaceChildren();
      privacyStatus(messageOf(error));
    }
  }

  $('privacy-form').addEventListener('submit', (event) => {
    event.preventDefault();
    privacyQuery = new URLSearchParams({ [byId('privacy-kind', HTMLSelectElement).value]: byId('privacy-value', HTMLInputElement).value.trim() });
    privacyStatus('');
    findVisitors();
  });

  /** @type {Record<VisitorMatch['matchedBy'][number], string>} */
  const MATCHED_BY = {
    visitor: 'visitor id',
    conversation: 'conversation',
    customer_id: 'customer id',
    visitor_email: "the widget's e-mail",
    customer_email: "the shop's sign-in",
    message_email: 'an e-mail they typed',
    form_email: 'an e-mail in a form',
  };

  /** @param {VisitorMatch} visitor */
  function privacyItem(visitor) {
    const who = [visitor.name, visitor.email, ...visitor.customers.map((customer) => `customer ${customer.id}${customer.email ? ` (${customer.email})` : ''}`)].filter(Boolean).join(' · ');
    const buttons = visitor.erasedAt ? [] : [
      h('button', { type: 'button', class: 'small', dataset: { privacy: 'export' }, onclick: () => exportVisitor(visitor) }, 'Export JSON'),
      h('button', { type: 'button', class: 'small danger', dataset: { privacy: 'erase' }, onclick: () => eraseVisitor(visitor) }, 'Erase…'),
    ];
    return h('li', { class: 'reuse-item privacy-item', dataset: { id: visitor.id } },
      h('div', { class: 'item-top' },
        h('span', { class: 'item-title' }, `Visitor ${shortId(visitor.id)}`),
        h('span', { class: 'muted small' }, visitor.erasedAt ? `erased ${relativeTime(visitor.erasedAt)}` : `last seen ${relativeTime(visitor.lastSeenAt)}`)),
      h('div', { class: 'privacy-who small' }, who || 'anonymous'),
      h('div', { class: 'item-flags' },
        h('span', { class: 'flag' }, `${visitor.conversations} conversations`),
        h('span', { class: 'flag' }, `${visitor.messages} msg`),
        h('span', { class: 'flag', title: 'where the search found them' }, `found by ${visitor.matchedBy.map((how) => MATCHED_BY[how]).join(', ')}`),
        visitor.erasedAt ? h('span', { class: 'flag bad' }, 'erased') : null),
      h('div', { class: 'reuse-actions' }, buttons));
  }

  /** @param {VisitorMatch} visitor */
  async function exportVisitor(visitor) {
    try {
      /** @type {{ export: unknown }} */
      const { export: data } = await api(`/visitors/export?visitorId=${visitor.id}`);
      const link = h('a', { href: URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' })), download: `visitor-${visitor.id}.json` });
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
      privacyStatus(`Exported visitor ${shortId(visitor.id)}.`);
    } catch (error) {
      privacyStatus(messageOf(error));
    }
  }

  /** @param {VisitorMatch} visitor */
  async function eraseVisitor(visitor) {
    const sure = window.confirm(`Erase everything stored about visitor ${shortId(visitor.id)}: ${visitor.conversations} conversation(s), ${visitor.messages} message(s), their feedback, labels and harvested answers? This cannot be undone.`);
    if (!sure) return;
    try {
      /** @type {{ erased: Omit<Erasure, 'conversationIds'> }} */
      const { erased } = await api('/visitors/erase', { body: { visitorId: visitor.id } });
      privacyStatus(`Erased visitor ${shortId(visitor.id)}: ${erased.conversations} conversation(s), ${erased.messages} message(s), ${erased.harvestedAnswers} harvested answer(s).`);
      // The search that found them may not find them any more (their e-mail is gone): show them as they are now.
      /** @type {{ visitors: VisitorMatch[] }} */
      const { visitors } = await api(`/visitors?visitorId=${visitor.id}`);
      const now = visitors[0];
      const item = $('privacy-results').querySelector(`[data-id="${visitor.id}"]`);
      if (now && item) item.replaceWith(privacyItem({ ...now, matchedBy: visitor.matchedBy }));
    } catch (error) {
      privacyStatus(messageOf(error));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Audit log (admins): who did what, when; newest first.

  const audit = { events: /** @type {AuditEvent[]} */ ([]), cursor: /** @type {string | null} */ (null) };

  async function loadAudit(more = false) {
    const params = new URLSearchParams({ limit: '100' });
    const action = byId('audit-action', HTMLSelectElement).value;
    if (action) params.set('action', action);
    if (more && audit.cursor) params.set('before', audit.cursor);
    try {
      /** @type {{ events: AuditEvent[], nextCursor: string | null, actions: string[] }} */
      const page = await api(`/audit?${params}`);
      audit.events = more ? audit.events.concat(page.events) : page.events;
      audit.cursor = page.nextCursor;
      const select = byId('audit-action', HTMLSelectElement);
      if (select.options.length === 1) select.append(...page.actions.map((name) => h('option', { value: name }, name)));
      $('audit-list').replaceChildren(...audit.events.map(auditItem));
      $('audit-empty').textContent = 'Nothing recorded.';
      $('audit-empty').hidden = audit.events.length > 0;
    } catch (error) {
      $('audit-empty').textContent = messageOf(error);
      $('audit-empty').hidden = false;
    }
    $('audit-more').hidden = !audit.cursor;
  }

  $('audit-action').addEventListener('change', () => loadAudit());
  $('audit-more').addEventListener('click', () => loadAudit(true));

  /** @param {AuditEvent} event */
  function auditItem(event) {
    const actor = event.actor.kind === 'agent' ? event.actor.name : `${event.actor.name} (${event.actor.kind})`;
    return h('li', { class: 'audit-event', dataset: { action: event.action } },
      h('div', {}, h('b', {}, event.action), ' · ', actor),
      h('div', { class: 'muted' }, new Date(event.at).toLocaleString(), event.target ? ` · ${event.target.kind} ${event.target.id}` : ''),
      event.details ? h('div', { class: 'audit-details' }, JSON.stringify(event.details)) : null);
  }

  setInterval(() => {
    all('.wait[data-since]').forEach((element) => {
      element.textContent = `waiting ${waitText(element.dataset.since ?? '')}`;
    });
  }, 1000);

  // ---------------------------------------------------------------------------------------------
  // One conversation

  /** @param {string} id @param {{ quiet?: boolean }} [options] `quiet`: keep the error shown and the focus where it is */
  async function openConversation(id, options = {}) {
    const previous = state.selected;
    state.selected = id;
    state.unread.delete(id);
    if (previous && previous !== id && state.socket) state.socket.emit('unwatch', { conversationId: previous }, () => {});
    try {
      /** @type {{ conversation: Transcript }} */
      const { conversation } = await emit('transcript', { conversationId: id });
      if (state.selected !== id) return;
      state.transcript = conversation;
      if (!options.quiet) $('action-error').hidden = true;
      renderDetail();
      if (!options.quiet) $('composer-text').focus();
    } catch (error) {
      showActionError(messageOf(error));
    }
    renderQueue();
    renderReview();
  }

  async function refreshSelected() {
    if (!state.selected) return;
    try {
      /** @type {{ conversation: Transcript }} */
      const { conversation } = await emit('transcript', { conversationId: state.selected });
      if (conversation.id !== state.selected) return;
      state.transcript = conversation;
      renderDetail({ keepScroll: true });
    } catch {
      // The next update will try again.
    }
  }

  /** @param {string} message */
  function showActionError(message) {
    $('action-error').textContent = message;
    $('action-error').hidden = false;
  }

  /** @param {{ keepScroll?: boolean }} [options] */
  function renderDetail(options = {}) {
    const conversation = state.transcript;
    if (!conversation) return;
    $('placeholder').hidden = true;
    $('detail').hidden = false;
    $('detail-title').textContent = `Conversation ${shortId(conversation.id)}`;
    $('detail-status').className = `status ${conversation.status}`;
    $('detail-status').textContent = STATUS_LABELS[conversation.status];
    const meta = [`started ${new Date(conversation.createdAt).toLocaleString()}`];
    if (conversation.assignee) meta.push(`with ${nameOf(conversation.assignee)}`);
    if (conversation.status === 'waiting_for_agent' && conversation.waitingSince) meta.push(`waiting since ${new Date(conversation.waitingSince).toLocaleTimeString()}`);
    if (conversation.resolvedAt) meta.push(`resolved ${new Date(conversation.resolvedAt).toLocaleString()}`);
    if (conversation.csat !== null) meta.push(`CSAT ${conversation.csat}/5`);
    const reviewed = state.reviewed.get(conversation.id);
    if (reviewed) meta.push(`reviewed by ${reviewed.by ? nameOf(reviewed.by) : 'an agent'} ${new Date(reviewed.at).toLocaleString()}`);
    $('detail-meta').textContent = meta.join(' · ');
    renderVisitor(conversation.visitor);
    renderForm(conversation.form);
    renderRunAction(conversation);

    $('actions').replaceChildren(
      ...conversation.actions.flatMap((action) => {
        const [label, className] = ACTION_LABELS[action] ?? [];
        return label ? [h('button', { type: 'button', class: className, dataset: { action }, onclick: () => act(action) }, label)] : [];
      }),
      h('button', {
        type: 'button',
        dataset: { action: 'review' },
        title: 'Correct what the bot got wrong first: the intents you leave uncorrected are confirmed for the next training run.',
        onclick: markReviewed,
      }, reviewed ? 'Mark reviewed again' : 'Mark reviewed'),
    );

    const canReply = conversation.actions.includes('reply');
    const composerText = byId('composer-text', HTMLTextAreaElement);
    composerText.disabled = !canReply;
    byId('composer-send', HTMLButtonElement).disabled = !canReply;
    composerText.placeholder = canReply ? 'Write to the visitor… (Enter sends, Shift+Enter for a new line)' : conversation.status === 'resolved' ? 'This conversation is resolved' : 'Take the conversation over to reply';
    renderMessages(conversation, options.keepScroll);
  }

  /**
   * Who the agent talks to: the customer the shop's sign-in vouched for, name and e-mail when the
   * site told them, language, page and browser.
   */
  /** @param {VisitorView} visitor */
  function renderVisitor(visitor) {
    const who = [visitor.name, visitor.email].filter(Boolean).join(' · ');
    const { customer } = visitor;
    const parts = [
      customer
        ? h('span', { class: 'visitor-customer', title: "Signed in: verified by the shop's customer token" }, `✓ ${[customer.name, customer.email, `customer ${customer.id}`].filter(Boolean).join(' · ')}`)
        : null,
      who ? h('span', { class: 'visitor-who' }, who) : null,
      visitor.followupEmail ? h('span', { class: 'visitor-followup', title: 'Left while nobody was available: your replies are e-mailed there too' }, `✉ ${visitor.followupEmail}`) : null,
      visitor.language ? h('span', { class: 'visitor-language', title: 'Language' }, visitor.language) : null,
      visitor.page ? h('span', { class: 'visitor-page', title: visitor.page }, pagePath(visitor.page)) : null,
      visitor.browser ? h('span', { class: 'visitor-browser', title: visitor.userAgent || '' }, visitor.browser) : null,
    ].filter((part) => part !== null);
    $('detail-visitor').replaceChildren(...parts.flatMap((part, index) => (index === 0 ? [part] : [' · ', part])));
    $('detail-visitor').hidden = parts.length === 0;
  }

  /**
   * The form the bot is filling: its intent, the slots so far, and what it asks for or asks to confirm.
   * @param {Transcript['form']} form
   */
  function renderForm(form) {
    $('detail-form').hidden = !form;
    if (!form) return;
    const slots = Object.entries(form.slots).map(([name, value]) => `${name} ${typeof value === 'object' ? `${value.amount} ${value.currency}` : value}`);
    const asking = form.confirming ? `asks to confirm (${form.confirming.template})` : form.asking ? `asks for ${form.asking}` : '';
    $('detail-form').textContent = `Form ${form.intent}: ${[...slots, asking].filter(Boolean).join(' · ') || 'nothing yet'}`;
  }

  /** The conversation the "Run an action" form was last filled for. @type {string | null} */
  let runActionFor = null;

  /**
   * Agents run an intent's action themselves, its slots filled from the open form or the visitor's
   * entities; the shop's answer is shown to the agent only, ready to send as a reply.
   * @param {Transcript} conversation
   */
  function renderRunAction(conversation) {
    // Updates of the same conversation keep what the agent typed and the last result.
    if (runActionFor === conversation.id) return;
    const withActions = state.intents.filter((intent) => intent.action);
    $('run-action').hidden = withActions.length === 0;
    // The intents may not have arrived yet: fill the form at the next update.
    runActionFor = withActions.length === 0 ? null : conversation.id;
    const select = byId('run-action-intent', HTMLSelectElement);
    const chosen = select.value || (conversation.form ? conversation.form.intent : '');
    select.replaceChildren(...withActions.map((intent) => h('option', { value: intent.name, selected: intent.name === chosen }, `${intent.label} (${intent.action ? intent.action.name : ''})`)));
    select.onchange = () => renderSlotInputs(conversation);
    renderSlotInputs(conversation);
  }

  /** @param {Transcript} conversation */
  function renderSlotInputs(conversation) {
    const intent = state.intents.find((candidate) => candidate.name === byId('run-action-intent', HTMLSelectElement).value);
    const known = /** @type {Record<string, unknown>} */ ({ ...(conversation.form && conversation.form.intent === (intent && intent.name) ? conversation.form.slots : {}) });
    for (const message of conversation.messages) for (const entity of message.entities || []) known[`entity:${entity.type}`] = entity.value;
    $('run-action-slots').replaceChildren(...(intent && intent.slots ? intent.slots : []).map((slot) => {
      const value = known[slot.name] ?? known[`entity:${slot.entity}`];
      return h('input', { name: slot.name, placeholder: slot.name, 'aria-label': slot.name, value: value === undefined || typeof value === 'object' ? '' : String(value) });
    }));
    $('run-action-result').hidden = true;
  }

  /** @param {boolean} confirmed */
  async function runAction(confirmed) {
    const conversationId = state.selected;
    if (!conversationId) return;
    const intent = byId('run-action-intent', HTMLSelectElement).value;
    /** @type {Record<string, string>} */
    const slots = {};
    for (const input of $('run-action-slots').querySelectorAll('input')) if (input.value.trim()) slots[input.name] = input.value.trim();
    const result = $('run-action-result');
    result.hidden = false;
    result.className = 'run-action-result';
    result.textContent = 'Running…';
    try {
      /** @type {{ outcome: import('../../src/agents/action-runner.ts').AgentActionOutcome }} */
      const { outcome } = await emit('run_action', { conversationId, intent, slots, confirmed });
      if (!outcome.ok) {
        result.className = 'run-action-result failed';
        result.textContent = `The action failed (${outcome.reason}, ${outcome.latencyMs} ms).`;
      } else if (outcome.response === 'answer' || outcome.response === 'confirm') {
        const use = h('button', { type: 'button', class: 'link', onclick: () => { byId('composer-text', HTMLTextAreaElement).value = outcome.text; } }, 'Use as reply');
        const confirm = h('button', { type: 'button', class: 'primary', onclick: () => runAction(true) }, 'Confirm and run');
        result.replaceChildren(`${outcome.text} (${outcome.latencyMs} ms) `, use, ...(outcome.response === 'confirm' ? [' ', confirm] : []));
      } else if (outcome.response === 'ask_slot') {
        result.textContent = `The shop needs ${outcome.slot} first.`;
      } else if (outcome.response === 'handoff') {
        result.textContent = `The shop says a person should handle this${outcome.reason ? `: ${outcome.reason}` : ''}.`;
      }
    } catch (error) {
      result.className = 'run-action-result failed';
      result.textContent = messageOf(error);
    }
  }

  $('run-action-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void runAction(false);
  });

  /** @param {string} page */
  function pagePath(page) {
    try {
      const url = new URL(page);
      return url.host + url.pathname;
    } catch {
      return page;
    }
  }

  /** @param {Transcript} transcript @param {boolean} [keepScroll] */
  function renderMessages(transcript, keepScroll) {
    const list = $('messages');
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    /** The bot's answer to each visitor message. @type {Map<string, MessageView>} */
    const replies = new Map();
    for (const message of transcript.messages) if (message.role === 'bot' && message.replyTo) replies.set(message.replyTo, message);
    list.replaceChildren(...transcript.messages.map((message) => messageItem(transcript, message, replies.get(message.messageId))));
    // agent-tools.js adds the conversation's notes and attachments in between, by time.
    document.dispatchEvent(new CustomEvent('console:messages', { detail: { conversationId: transcript.id, createdAt: transcript.messages.map((message) => message.createdAt), canReply: transcript.actions.includes('reply') } }));
    if (!keepScroll || atBottom) list.scrollTop = list.scrollHeight;
  }

  /** @param {number} value */
  function percent(value) {
    return `${Math.round(value * 100)}%`;
  }

  /** @param {Transcript} transcript @param {MessageView} message @param {MessageView} [botReply] */
  function messageItem(transcript, message, botReply) {
    /** @type {Content[]} */
    const meta = [];
    const time = h('span', {}, new Date(message.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
    if (message.role === 'visitor') {
      meta.push(time);
      if (botReply && botReply.intent) meta.push(h('span', { class: 'tag' }, `bot read: ${botReply.intent}`));
      if (message.label) meta.push(h('span', { class: 'tag label', title: message.label.agent ? `corrected by ${message.label.agent.name}` : message.label.origin }, `✓ ${message.label.intent === 'oos' ? 'out of scope' : message.label.intent}`));
      meta.push(correction(transcript, message, botReply));
    } else if (message.role === 'bot') {
      meta.push(h('span', { class: `tag source-${message.source}` }, message.source));
      if (message.intent) meta.push(h('span', { class: 'tag' }, message.intent));
      if (typeof message.confidence === 'number') meta.push(h('span', { class: message.confidence < transcript.lowConfidence && message.source !== 'retrieval' ? 'tag low' : 'tag', title: message.source === 'retrieval' ? 'retrieval score' : 'confidence' }, percent(message.confidence)));
      if (message.modelVersion) meta.push(h('span', { class: 'tag', title: 'model version' }, message.modelVersion.name || message.modelVersion.id.slice(0, 8)));
      if (message.details && message.details.retrieval) meta.push(h('span', { class: 'tag', title: 'retrieved from' }, message.details.retrieval.title || message.details.retrieval.source));
      if (message.details && message.details.suggestions) meta.push(h('span', { class: 'tag', title: 'suggested to the visitor' }, `offered: ${message.details.suggestions.map((s) => s.label).join(' · ')}`));
      if (message.details && message.details.action) meta.push(actionTag(message.details.action));
      if (message.feedback) meta.push(thumb(message.feedback.rating));
      meta.push(time);
    } else {
      meta.push(h('span', { class: 'tag source-agent' }, message.agent && message.agent.name ? message.agent.name : 'agent'));
      if (message.feedback) meta.push(thumb(message.feedback.rating));
      meta.push(time);
    }
    return h('li', { class: `message ${message.role}`, dataset: { id: message.messageId } },
      h('div', { class: 'bubble' }, messageContent(message)),
      entityChips(message),
      h('div', { class: 'meta' }, meta));
  }

  /** What was found in a visitor message, one chip each ("order_number NW-2024-0042"); null when nothing. @param {MessageView} message */
  function entityChips(message) {
    if (!message.entities || message.entities.length === 0) return null;
    return h('div', { class: 'meta entities', 'aria-label': 'entities found' }, message.entities.map((entity) => {
      const value = typeof entity.value === 'object' ? `${entity.value.amount} ${entity.value.currency}` : String(entity.value);
      return h('span', { class: 'tag entity', title: `“${entity.text}”` }, h('b', {}, entity.type), ` ${value}`);
    }));
  }

  /**
   * The action the bot ran for a reply: what it sent, what came back or why nothing did, and how long it took.
   * @param {NonNullable<NonNullable<MessageView['details']>['action']>} action
   */
  function actionTag(action) {
    const slots = Object.entries(action.slots || {}).map(([name, value]) => `${name}=${typeof value === 'object' ? JSON.stringify(value) : value}`).join(', ');
    const outcome = action.ok ? `${action.response}${action.template ? ` ${action.template}` : ''}` : `failed: ${action.reason}`;
    const title = `sent: ${slots || 'no slots'}${action.confirmed ? ' (confirmed by the visitor)' : ''} · ${action.attempts} attempt(s) · ${action.latencyMs} ms`;
    return h('span', { class: action.ok ? 'tag action' : 'tag action failed', title }, `⚙ ${action.name}: ${outcome} · ${action.latencyMs} ms`);
  }

  /** @param {'up' | 'down'} rating */
  function thumb(rating) {
    return h('span', { class: `tag thumb-${rating}`, title: 'visitor feedback' }, rating === 'up' ? '▲ helpful' : '▼ not helpful');
  }

  /** @param {Transcript} transcript @param {MessageView} message @param {MessageView} [botReply] */
  function correction(transcript, message, botReply) {
    if (state.editing !== message.messageId) {
      return h('button', { type: 'button', class: 'link', onclick: () => { state.editing = message.messageId; renderMessages(transcript, true); } }, message.label ? 'change' : 'correct intent');
    }
    const current = message.label ? message.label.intent : botReply && botReply.intent ? botReply.intent : '';
    const select = h('select', { 'aria-label': 'True intent' },
      h('option', { value: '' }, 'Choose the true intent…'),
      state.intents.map((intent) => h('option', { value: intent.name, selected: intent.name === current }, intent.name === 'oos' ? 'Out of scope (oos)' : `${intent.label} (${intent.name})`)));
    const save = async () => {
      if (!select.value) return;
      try {
        /** @type {{ label: NonNullable<MessageView['label']> }} */
        const { label } = await emit('correct', { messageId: message.messageId, intent: select.value });
        message.label = { intent: label.intent, origin: label.origin, at: label.at, agent: label.agent };
        state.editing = null;
        renderMessages(transcript, true);
      } catch (error) {
        showActionError(messageOf(error));
      }
    };
    return h('span', { class: 'correct' }, select,
      h('button', { type: 'button', class: 'primary', onclick: save }, 'Save'),
      h('button', { type: 'button', onclick: () => { state.editing = null; renderMessages(transcript, true); } }, 'Cancel'));
  }

  /** @param {MessageView} message */
  function addMessage(message) {
    const transcript = state.transcript;
    if (!transcript) return;
    // A message seen before comes again with what was found in it while the bot answered (entities).
    const index = transcript.messages.findIndex((existing) => existing.messageId === message.messageId);
    if (index >= 0) transcript.messages[index] = { ...transcript.messages[index], ...message };
    else transcript.messages.push(message);
    renderMessages(transcript, true);
  }

  /** @param {AgentAction} action */
  async function act(action) {
    const conversationId = state.selected;
    $('action-error').hidden = true;
    $('actions').querySelectorAll('button').forEach((button) => { button.disabled = true; });
    try {
      await emit(action, { conversationId });
      if (state.selected === conversationId) await refreshSelected();
      if (action === 'take_over') {
        // It leaves the queue: follow it in the list of live conversations.
        if (state.tab === 'queue') selectTab('active');
        $('composer-text').focus();
      }
    } catch (error) {
      showActionError(messageOf(error));
      await refreshSelected();
    }
  }

  async function markReviewed() {
    const conversationId = state.selected;
    $('action-error').hidden = true;
    try {
      /** @type {{ conversation: ConversationSummary }} */
      const { conversation } = await api(`/conversations/${conversationId}/review`, { body: {} });
      remember([conversation]);
      if (state.selected === conversationId) renderDetail({ keepScroll: true });
    } catch (error) {
      showActionError(messageOf(error));
    }
  }

  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const textarea = byId('composer-text', HTMLTextAreaElement);
    const send = byId('composer-send', HTMLButtonElement);
    const text = textarea.value.trim();
    if (!text || !state.selected) return;
    send.disabled = true;
    try {
      /** @type {{ message: MessageView }} */
      const { message } = await emit('reply', { conversationId: state.selected, text, clientId: randomId() });
      textarea.value = '';
      if (state.transcript && state.transcript.id === message.conversationId) addMessage(message);
    } catch (error) {
      showActionError(messageOf(error));
    } finally {
      send.disabled = textarea.disabled;
      textarea.focus();
    }
  });

  $('composer-text').addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      byId('composer', HTMLFormElement).requestSubmit();
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Start: resume the tab's session when it is still valid.

  if (state.token) {
    /** @type {Promise<{ agent: Agent }>} */
    const me = api('/me');
    me.then((result) => start(result.agent), () => signedOut());
  } else {
    showLogin();
  }
})();
