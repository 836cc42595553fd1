// @ts-check
/*
 * frontdesk chat widget: plain JavaScript, no build step.
 *
 *   <script src="https://chat.example.com/widget.js" data-title="Support" data-color="#0f766e" async></script>
 *
 * src/gateway/static.ts serves /widget.js: the Socket.IO client (`io`), public/widget/i18n.js
 * (`WIDGET_TEXTS`), public/widget/widget.css (`WIDGET_CSS`), the retryable error codes of
 * src/gateway/protocol.ts (`RETRYABLE_ERROR_CODES`) and then this file, all inside one function
 * scope, so nothing leaks into the host page. Everything it draws lives in a shadow root. See
 * docs/widget.md.
 */

/** @typedef {import('../../src/gateway/protocol.ts').SessionEvent} SessionEvent */
/** @typedef {import('../../src/gateway/protocol.ts').ReplyEvent} ReplyEvent */
/** @typedef {import('../../src/gateway/protocol.ts').StatusEvent} StatusEvent */
/** @typedef {import('../../src/gateway/protocol.ts').HistoryEntry} HistoryEntry */
/** @typedef {import('../../src/gateway/protocol.ts').MessageAck} MessageAck */
/** @typedef {import('../../src/gateway/protocol.ts').HistoryAck} HistoryAck */
/** @typedef {import('../../src/gateway/protocol.ts').HandoffAck} HandoffAck */
/** @typedef {import('../../src/gateway/protocol.ts').Ack} Ack */
/** The acknowledgement of each event the widget sends. @typedef {{ message: MessageAck, history: HistoryAck, feedback: Ack, csat: Ack, handoff: HandoffAck }} Acks */
/** @typedef {import('../../src/protocol/errors.ts').ErrorBody['error']} ProtocolErrorBody */
/** A file sent in the conversation (README, "Attachments"). @typedef {import('../../src/attachments/attachments.ts').AttachmentView} WidgetAttachment */
/** An agent typing. @typedef {import('../../src/gateway/typing.ts').TypingEvent} WidgetTypingEvent */
/** @typedef {'up' | 'down'} Rating */
/** @typedef {'idle' | 'connecting' | 'online' | 'offline' | 'reconnecting' | 'unreachable'} ConnectionState */
/** The part of the panel below the conversation: the composer, the rating form, or the thanks for a rating. @typedef {'chat' | 'csat' | 'done'} View */
/** A message typed by the visitor and not yet acknowledged by the server (kept in localStorage). @typedef {{ clientId: string, text: string, createdAt: string }} OutboxItem */
/** What the widget draws as a message: a stored one (history, reply) or one still being sent. @typedef {Pick<HistoryEntry, 'text' | 'createdAt'> & Partial<Pick<HistoryEntry, 'messageId' | 'role' | 'rich' | 'source' | 'suggestions' | 'agent'>>} ShownMessage */

(function () {
  'use strict';

  const found = document.currentScript || document.querySelector('script[src*="widget.js"]');
  const script = found instanceof HTMLScriptElement ? found : null;
  if (window.FrontdeskWidget) return; // pasted twice: one widget is enough
  /** @type {DOMStringMap} */
  const data = script ? script.dataset : {};

  // ---------------------------------------------------------------- configuration

  const scriptUrl = new URL((script && script.src) || location.href, location.href);
  const serverUrl = new URL(data.server || new URL('.', scriptUrl).href, location.href);
  const serverPath = serverUrl.pathname.replace(/\/+$/, '');
  // The visitor's own language (the browser's) before the page's: a shop page in English is still read by visitors who write German.
  const language = normalizeLanguage(data.language || navigator.language || document.documentElement.lang);
  const t = WIDGET_TEXTS[(language || 'en').split('-')[0] ?? 'en'] ?? WIDGET_TEXTS_EN;
  const title = (data.title || t.title).slice(0, 80);
  const subtitleOnline = data.subtitle || t.online;
  const greeting = data.greeting === undefined ? t.greeting : data.greeting;
  const position = data.position === 'left' ? 'left' : 'right';
  const accent = data.color && window.CSS && CSS.supports('color', data.color) ? data.color : '#2563eb';
  /** The token the shop signed for its signed-in customer (`data-customer-token`, `identify()`). @type {string | null} */
  let customerToken = data.customerToken || null;

  // ---------------------------------------------------------------- storage (shared by tabs)

  const keyPrefix = `frontdesk:${serverUrl.origin}${serverPath}:`;
  /** Where values go when the browser refuses storage (a sandboxed frame, storage disabled). @type {Map<string, string>} */
  const memory = new Map();
  /** `session`: the tab's sessionStorage instead of the origin's localStorage. */
  const storage = {
    /** @param {string} key @param {boolean} [session] */
    get(key, session) {
      try {
        return (session ? sessionStorage : localStorage).getItem(keyPrefix + key);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    /** @param {string} key @param {string} value @param {boolean} [session] */
    set(key, value, session) {
      try {
        (session ? sessionStorage : localStorage).setItem(keyPrefix + key, value);
      } catch {
        memory.set(key, value);
      }
    },
    /** @param {string} key @param {boolean} [session] */
    remove(key, session) {
      try {
        (session ? sessionStorage : localStorage).removeItem(keyPrefix + key);
      } catch {
        memory.delete(key);
      }
    },
    /**
     * The stored JSON value, or `fallback` when there is none or it does not parse.
     * @template T
     * @param {string} key
     * @param {T} fallback
     * @returns {T}
     */
    json(key, fallback) {
      try {
        return JSON.parse(this.get(key) ?? 'null') ?? fallback;
      } catch {
        return fallback;
      }
    },
  };
  /** Messages typed but not yet acknowledged by the server, oldest first. */
  const outbox = {
    /** @returns {OutboxItem[]} */
    all: () => storage.json('outbox', /** @type {unknown[]} */ ([])).filter(isOutboxItem),
    /** @param {OutboxItem[]} items */
    save: (items) => (items.length ? storage.set('outbox', JSON.stringify(items)) : storage.remove('outbox')),
    /** @param {OutboxItem} item */
    add(item) {
      this.save([...this.all(), item]);
    },
    /** @param {string} clientId */
    remove(clientId) {
      this.save(this.all().filter((item) => item.clientId !== clientId));
    },
  };

  // ---------------------------------------------------------------- the shadow DOM

  const host = document.createElement('frontdesk-widget');
  const root = host.attachShadow({ mode: 'open' });
  host.style.setProperty('--fd-accent', accent);
  setStyles(root, WIDGET_CSS);

  const ICONS = {
    chat: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5z"/></svg>',
    close: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    send: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 12l16-8-5 16-3-7z M12 13l8-9"/></svg>',
    up: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M7 11v9H4v-9zM7 11l4-8c1.7 0 2.7 1.2 2.3 3L12.6 10H19a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 17.8 20H7"/></svg>',
    person: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/></svg>',
    clip: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M20 11.5l-7.8 7.8a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8"/></svg>',
    star: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M12 3l2.7 5.6 6.1.9-4.4 4.3 1 6.1L12 17l-5.4 2.9 1-6.1-4.4-4.3 6.1-.9z"/></svg>',
  };

  root.appendChild(
    html(`
    <div class="fd ${position}" data-state="idle">
      <button class="launcher" type="button" aria-expanded="false" aria-controls="fd-panel">
        ${ICONS.chat}<span class="launcher-close">${ICONS.close}</span>
        <span class="badge" hidden></span>
      </button>
      <section class="panel" id="fd-panel" role="dialog" aria-modal="false" aria-labelledby="fd-title" aria-describedby="fd-status" hidden>
        <header class="header">
          <div class="avatar" aria-hidden="true">${ICONS.chat}</div>
          <div class="heading">
            <h2 id="fd-title"></h2>
            <p class="status" id="fd-status" role="status"></p>
          </div>
          <button class="end text-button" type="button"></button>
          <button class="close icon-button" type="button">${ICONS.close}</button>
        </header>
        <div class="log" role="log" aria-live="polite" aria-relevant="additions" tabindex="0">
          <div class="previous" hidden>
            <ol class="earlier"></ol>
            <p class="notice divider"></p>
          </div>
          <p class="greeting" hidden></p>
          <ol class="messages"></ol>
          <div class="typing" hidden><span class="dots" aria-hidden="true"><i></i><i></i><i></i></span><span class="sr-only"></span></div>
        </div>
        <div class="chat-controls">
          <div class="actions"><button class="human chip" type="button">${ICONS.person}<span></span></button></div>
          <p class="attach-error" role="alert" hidden></p>
          <form class="composer" novalidate>
            <label class="sr-only" for="fd-input"></label>
            <label class="attach icon-button"><input class="file" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf">${ICONS.clip}</label>
            <textarea id="fd-input" rows="1" maxlength="2000" autocomplete="off" enterkeyhint="send"></textarea>
            <button class="send" type="submit">${ICONS.send}</button>
          </form>
        </div>
        <form class="csat" hidden novalidate>
          <fieldset>
            <legend></legend>
            <div class="stars"></div>
          </fieldset>
          <p class="csat-error" role="alert"></p>
          <div class="csat-buttons">
            <button class="primary submit-rating" type="submit"></button>
            <button class="back text-button" type="button"></button>
          </div>
        </form>
        <div class="csat-done" hidden>
          <p class="thanks" tabindex="-1"></p>
          <button class="primary new-chat" type="button"></button>
        </div>
      </section>
    </div>`),
  );

  /** The element `selector` names in the widget's markup (in `parent`, else anywhere in it). */
  const $ = (/** @type {string} */ selector, /** @type {ParentNode} */ parent = root) => find(parent, selector, HTMLElement);
  const ui = {
    wrapper: $('.fd'),
    launcher: $('.launcher'),
    badge: $('.badge'),
    panel: $('.panel'),
    status: $('.status'),
    end: $('.end'),
    close: $('.close'),
    log: $('.log'),
    greeting: $('.greeting'),
    list: $('.messages'),
    previous: $('.previous'),
    earlier: $('.earlier'),
    typing: $('.typing'),
    controls: $('.chat-controls'),
    human: $('.human'),
    composer: find(root, '.composer', HTMLFormElement),
    input: find(root, '#fd-input', HTMLTextAreaElement),
    send: $('.send'),
    attach: $('.attach'),
    file: find(root, '.file', HTMLInputElement),
    attachError: $('.attach-error'),
    csat: find(root, '.csat', HTMLFormElement),
    stars: $('.stars'),
    csatError: $('.csat-error'),
    csatDone: $('.csat-done'),
  };
  $('#fd-title').textContent = title;
  ui.launcher.setAttribute('aria-label', `${t.open}: ${title}`);
  ui.close.setAttribute('aria-label', t.close);
  ui.close.title = t.close;
  ui.end.textContent = t.end;
  ui.log.setAttribute('aria-label', t.conversation);
  ui.greeting.textContent = greeting;
  $('.divider').textContent = t.resolved;
  ui.greeting.hidden = !greeting;
  $('.sr-only', ui.typing).textContent = t.typing(t.bot);
  $('span', ui.human).textContent = t.human;
  $('label[for="fd-input"]').textContent = t.inputLabel;
  ui.input.placeholder = t.placeholder;
  ui.send.setAttribute('aria-label', t.send);
  ui.attach.title = t.attach;
  ui.file.setAttribute('aria-label', t.attach);
  ui.send.title = t.send;
  $('.csat legend').textContent = t.rateLegend;
  $('.submit-rating').textContent = t.submitRating;
  $('.csat .back').textContent = t.backToChat;
  $('.thanks').textContent = t.ratingThanks;
  $('.new-chat').textContent = t.newChat;
  for (let score = 1; score <= 5; score++) {
    const label = elementOf(`<label class="star">
      <input type="radio" name="score" value="${score}"><span class="sr-only"></span>${ICONS.star}</label>`);
    $('.sr-only', label).textContent = t.stars(score);
    ui.stars.appendChild(label);
  }
  setContrast();

  // ---------------------------------------------------------------- state

  /** @type {import('socket.io-client').Socket | null} */
  let socket = null;
  /** @type {string | null} */
  let conversationId = null;
  /** The visitor's latest resolved conversation, shown read-only above the current one. @type {string | null} */
  let previousConversationId = null;
  /** "Talk to a person" was clicked and the server has not acknowledged it yet. */
  let handoffWanted = false;
  let connected = false;
  let flushing = false;
  let unread = 0;
  let typingTimer = 0;
  let retryTimer = 0;
  let failures = 0;
  /** Handed over to people: no bot answer (and no typing dots) follows a message until an agent writes. */
  let humanMode = false;
  /** @type {ConnectionState} */
  let currentState = 'idle';
  /** Acknowledged visitor messages still waiting for their reply: the typing indicator. */
  const awaiting = new Set();
  /** The visitor's thumbs, by message id. @type {Record<string, Rating | undefined>} */
  const feedbackGiven = storage.json('feedback', {});

  // ---------------------------------------------------------------- connection

  function connect() {
    if (socket) {
      if (!socket.connected && !socket.active) socket.connect();
      return;
    }
    setStatus('connecting');
    const client = io(`${serverUrl.origin}/chat`, {
      path: `${serverPath}/socket.io/`,
      // Read at every (re)connection, so a token issued in another tab or after INVALID_TOKEN is used.
      auth: (callback) => {
        const token = storage.get('token');
        callback({ ...(token ? { visitorToken: token } : {}), ...(customerToken ? { customerToken } : {}), ...(language ? { language } : {}), ...visitorContext() });
      },
      reconnectionDelay: 1000,
      reconnectionDelayMax: 10000,
    });
    socket = client;
    client.on('session', onSession);
    client.on('reply', onReply);
    client.on('status', onStatus);
    client.on('attachment', onAttachment);
    client.on('typing', onAgentTyping);
    client.on('connect_error', (error) => onConnectError(client, error));
    client.on('disconnect', (reason) => onDisconnect(client, reason));
    client.on('protocol_error', (error) => console.warn('[frontdesk]', error));
  }

  /** @param {SessionEvent} session */
  function onSession(session) {
    connected = true;
    failures = 0;
    clearTimeout(retryTimer);
    storage.set('token', session.visitorToken);
    if (conversationId !== session.conversationId) {
      if (conversationId !== null) clearMessages(); // a new conversation (the old one was resolved or lost)
      conversationId = session.conversationId;
      storage.set('conversation', conversationId);
    }
    if (previousConversationId !== (session.previousConversationId || null)) {
      previousConversationId = session.previousConversationId || null;
      void loadPrevious();
    }
    setStatus('online');
    for (const state of ui.list.querySelectorAll('li.pending .state')) state.textContent = t.sending;
    void loadHistory().then(flushOutbox).then(requestHandoff);
  }

  /** What the host page tells about its visitor (shown to agents), and the page the chat is on. */
  function visitorContext() {
    return {
      ...(data.visitorName ? { name: data.visitorName } : {}),
      ...(data.visitorEmail ? { email: data.visitorEmail } : {}),
      // Origin and path only: a query or fragment may carry tokens or personal data.
      ...(/^https?:$/.test(location.protocol) ? { page: location.origin + location.pathname } : {}),
    };
  }

  /**
   * @param {import('socket.io-client').Socket} client
   * @param {Error & { data?: { code?: string, message?: string } }} error `data`: what the server's middleware refused with
   */
  function onConnectError(client, error) {
    connected = false;
    const code = (error && error.data && error.data.code) || (error && error.message);
    if (code === 'INVALID_CUSTOMER_TOKEN' && customerToken) {
      // Expired, forged or not accepted by this server: chat anonymously rather than not at all. The
      // server's message names the failed check for the shop's developers, never the token.
      console.warn('[frontdesk]', (error.data && error.data.message) || code);
      customerToken = null;
      client.connect();
      return;
    }
    if (code === 'INVALID_TOKEN' && storage.get('token')) {
      // Forged, expired or from another deployment: start afresh as a new visitor.
      storage.remove('token');
      storage.remove('conversation');
      clearMessages();
      conversationId = null;
      client.connect();
      return;
    }
    setStatus('unreachable');
    if (!client.active) retryLater(); // refused by the server's middleware: Socket.IO does not retry those itself
  }

  /** @param {import('socket.io-client').Socket} client @param {import('socket.io-client').Socket.DisconnectReason} reason */
  function onDisconnect(client, reason) {
    connected = false;
    for (const state of ui.list.querySelectorAll('li.pending .state')) state.textContent = t.queued;
    setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');
    // The server closed us (a restart): come back after a pause. Socket.IO retries transport losses itself.
    if (!client.active && reason !== 'io client disconnect') retryLater();
  }

  function retryLater() {
    clearTimeout(retryTimer);
    const delay = Math.min(30000, 1000 * 2 ** Math.min(failures++, 5)) * (0.75 + Math.random() / 2);
    retryTimer = window.setTimeout(() => socket && !socket.connected && socket.connect(), delay);
  }

  /**
   * Emits `event` and resolves with the server's acknowledgement; rejects when offline or unanswered.
   * @template {keyof Acks} E
   * @param {E} event
   * @param {object} payload
   * @returns {Promise<Acks[E]>}
   */
  function request(event, payload, timeoutMs = 15000) {
    if (!socket || !socket.connected) return Promise.reject(new Error('offline'));
    return socket.timeout(timeoutMs).emitWithAck(event, payload);
  }

  // ---------------------------------------------------------------- messages

  async function loadHistory() {
    const forConversation = conversationId;
    let response;
    try {
      response = await request('history', { limit: 200 });
    } catch {
      return;
    }
    if (!response || !response.ok || forConversation !== conversationId) return;
    ui.log.setAttribute('aria-busy', 'true');
    /** @type {Set<string | undefined>} */
    const known = new Set(response.messages.map((message) => message.messageId));
    for (const item of ui.list.querySelectorAll('li[data-message-id]')) {
      if (item instanceof HTMLElement && !known.has(item.dataset.messageId)) item.remove(); // not of this conversation
    }
    // In the server's order (a message typed in another tab goes above its answer), unsent ones last.
    /** @type {Element | null} */
    let previous = null;
    /** @type {string | null} */
    let lastRole = null;
    /** @type {HistoryEntry | null} */
    let lastAnswer = null;
    for (const message of response.messages) {
      const element = upsertMessage(message);
      /** @type {Element | null} */
      const wanted = previous ? previous.nextElementSibling : ui.list.firstElementChild;
      if (element !== wanted) ui.list.insertBefore(element, wanted);
      previous = element;
      lastRole = message.role;
      if (message.role !== 'visitor') lastAnswer = message;
    }
    setHumanMode(Boolean(lastAnswer && (lastAnswer.role === 'agent' || lastAnswer.source === 'handoff' || lastAnswer.source === 'agent')));
    renderOutbox();
    ui.log.removeAttribute('aria-busy');
    // The server answers pending messages on connect; show that an answer is coming.
    awaiting.clear();
    const last = response.messages[response.messages.length - 1];
    if (lastRole === 'visitor' && last && !humanMode) awaiting.add(last.messageId);
    updateTyping();
    scrollToEnd();
    // Files exist only in a conversation the visitor wrote in (before that it is not stored).
    if (response.messages.length > 0) void loadAttachments(forConversation);
  }

  let historyTimer = 0;
  function refreshHistorySoon() {
    clearTimeout(historyTimer);
    historyTimer = window.setTimeout(loadHistory, 150);
  }

  /** The visitor's resolved conversation, read-only above a divider. */
  async function loadPrevious() {
    const forConversation = previousConversationId;
    /** @type {HistoryAck | null} */
    let response = null;
    if (forConversation) {
      try {
        response = await request('history', { conversationId: forConversation, limit: 200 });
      } catch {
        response = null;
      }
    }
    if (forConversation !== previousConversationId) return;
    const messages = response && response.ok ? response.messages : [];
    ui.earlier.replaceChildren(...messages.map((message) => createMessage(message, { readOnly: true })));
    ui.previous.hidden = messages.length === 0;
    scrollToEnd();
  }

  /** What agents did to the conversation, as a notice in the log. @param {StatusEvent} event */
  function onStatus(event) {
    if (!event || event.conversationId !== conversationId) return;
    const text =
      event.status === 'agent' ? t.joined((event.agent && event.agent.name) || t.agent)
      : event.status === 'waiting_for_agent' ? t.waiting
      : event.status === 'bot' ? t.backToBot
      : event.status === 'resolved' ? t.resolved
      : null;
    if (!text) return;
    const notice = elementOf(`<li class="notice"></li>`);
    notice.textContent = text;
    notice.dataset.status = event.status;
    ui.list.insertBefore(notice, ui.list.querySelector('li.pending, li.failed'));
    setHumanMode(event.status === 'agent' || event.status === 'waiting_for_agent');
    updateTyping();
    if (ui.panel.hidden) {
      unread += 1;
      updateBadge();
    }
    scrollToEnd();
  }

  /** @param {ReplyEvent} reply */
  function onReply(reply) {
    if (!reply || reply.conversationId !== conversationId) return;
    const isNew = !messageElement(reply.messageId);
    upsertMessage({ ...reply, role: reply.source === 'agent' ? 'agent' : 'bot' });
    setHumanMode(reply.source === 'handoff' || reply.source === 'agent');
    if (reply.replyTo) {
      awaiting.delete(reply.replyTo);
      // A message typed in another tab: fetch the history so the question appears above its answer.
      if (!messageElement(reply.replyTo)) refreshHistorySoon();
    }
    updateTyping();
    if (isNew && ui.panel.hidden) {
      unread += 1;
      updateBadge();
    }
    scrollToEnd();
  }

  // ---------------------------------------------------------------- attachments and typing (README, "Agents' tools")

  /** Where the server's own paths are: behind a proxy, under the widget's server path. @param {string} path */
  function serverHref(path) {
    return `${serverUrl.origin}${serverPath}${path}`;
  }

  /** The files of the conversation, with fresh signed URLs. @param {string | null} forConversation */
  async function loadAttachments(forConversation) {
    const token = storage.get('token');
    if (!forConversation || !token) return;
    try {
      const response = await fetch(serverHref(`/api/chat/conversations/${forConversation}/attachments`), { headers: { authorization: `Bearer ${token}` } });
      /** @type {{ ok: true, attachments: WidgetAttachment[] } | { ok: false }} */
      const body = await response.json();
      if (!body.ok || forConversation !== conversationId) return;
      for (const attachment of body.attachments) onAttachment(attachment);
    } catch {
      // Shown with the next history load.
    }
  }

  /** @param {File} file */
  async function sendFile(file) {
    const token = storage.get('token');
    ui.attachError.hidden = true;
    delete ui.attachError.dataset.code;
    if (!conversationId || !token || ui.list.querySelector('li.message.visitor[data-message-id]') === null) {
      showAttachError(t.attachFirst, 'UNKNOWN_CONVERSATION');
      return;
    }
    try {
      const response = await fetch(serverHref(`/api/chat/conversations/${conversationId}/attachments`), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) },
        body: file,
      });
      /** @type {{ ok: true, attachment: WidgetAttachment } | { ok: false, error: ProtocolErrorBody }} */
      const body = await response.json();
      if (!body.ok) {
        showAttachError(errorText(body.error), body.error.code);
        return;
      }
      onAttachment(body.attachment);
    } catch {
      showAttachError(errorText({ code: 'INTERNAL', message: '' }), 'INTERNAL');
    }
  }

  /** The refusal, in the visitor's language; its stable code in `data-code`. @param {string} text @param {string} code */
  function showAttachError(text, code) {
    ui.attachError.textContent = text;
    ui.attachError.hidden = false;
    ui.attachError.dataset.code = code;
  }

  /** Shows a file in the log, by time among the messages. @param {WidgetAttachment} attachment */
  function onAttachment(attachment) {
    if (!attachment || attachment.conversationId !== conversationId) return;
    const existing = query(ui.list, `li[data-attachment-id="${cssEscape(attachment.id)}"]`);
    if (existing) {
      // A fresh signed URL.
      const image = existing.querySelector('img');
      if (image) image.src = serverHref(attachment.url);
      return;
    }
    const role = attachment.role === 'agent' ? 'agent' : 'visitor';
    const element = elementOf(`<li class="message ${role} attachment">
      <span class="sr-only who"></span>
      <div class="bubble"></div>
      <div class="meta"><time></time></div>
    </li>`);
    element.dataset.attachmentId = attachment.id;
    $('.who', element).textContent = `${role === 'visitor' ? t.you : (attachment.agent && attachment.agent.name) || t.agent}: `;
    const link = document.createElement('a');
    link.href = serverHref(attachment.url);
    link.target = '_blank';
    link.rel = 'noopener';
    if (attachment.image) {
      const image = document.createElement('img');
      image.src = link.href;
      image.alt = attachment.fileName;
      link.appendChild(image);
    } else {
      link.textContent = `PDF: ${attachment.fileName}`;
    }
    $('.bubble', element).appendChild(link);
    const time = find(element, 'time', HTMLTimeElement);
    time.dateTime = attachment.createdAt;
    time.textContent = new Date(attachment.createdAt).toLocaleTimeString(language || undefined, { hour: 'numeric', minute: '2-digit' });
    // Before the first message written after it, else before the ones still being sent.
    const later = Array.from(ui.list.querySelectorAll('li')).find((item) => {
      const stamp = item.querySelector('time');
      return stamp instanceof HTMLTimeElement && stamp.dateTime > attachment.createdAt && !item.matches('.pending, .failed');
    });
    ui.list.insertBefore(element, later || ui.list.querySelector('li.pending, li.failed'));
    scrollToEnd();
  }

  let agentTypingTimer = 0;
  /** An agent types: the dots with their name, until they stop (or for 6 s). @param {WidgetTypingEvent} event */
  function onAgentTyping(event) {
    if (!event || event.role !== 'agent' || event.conversationId !== conversationId) return;
    clearTimeout(agentTypingTimer);
    if (event.typing) {
      $('.sr-only', ui.typing).textContent = t.typing((event.agent && event.agent.name) || t.agent);
      ui.typing.hidden = false;
      agentTypingTimer = window.setTimeout(() => {
        $('.sr-only', ui.typing).textContent = t.typing(t.bot);
        updateTyping();
      }, 6000);
    } else {
      $('.sr-only', ui.typing).textContent = t.typing(t.bot);
      updateTyping();
    }
    scrollToEnd();
  }

  /** The visitor types (only while people answer): at most every 2 s, and once when they stop or send. */
  let typingSentAt = 0;
  /** @param {boolean} typing */
  function sendTyping(typing) {
    if (!socket || !connected || !humanMode) return;
    const now = Date.now();
    if (typing) {
      if (now - typingSentAt < 2000) return;
      typingSentAt = now;
    } else {
      if (typingSentAt === 0) return;
      typingSentAt = 0;
    }
    socket.emit('typing', { typing });
  }

  /** @param {string} text */
  function send(text) {
    const trimmed = text.trim();
    if (!trimmed) return;
    const item = { clientId: newClientId(), text: trimmed, createdAt: new Date().toISOString() };
    outbox.add(item);
    renderPending(item);
    scrollToEnd();
    if (connected && !humanMode) startTyping();
    connect();
    void flushOutbox();
  }

  /** Sends queued messages one at a time, in order; each is removed from the queue only when acknowledged. */
  async function flushOutbox() {
    if (flushing) return;
    flushing = true;
    try {
      while (connected) {
        const item = outbox.all()[0];
        if (!item) break;
        let ack;
        try {
          ack = await request('message', { clientId: item.clientId, text: item.text });
        } catch {
          break; // no answer (connection lost): the same clientId is sent again after reconnecting
        }
        if (ack && ack.ok) {
          outbox.remove(item.clientId);
          markSent(item.clientId, ack);
          if (!humanMode && !replyExists(ack.messageId)) awaiting.add(ack.messageId);
          updateTyping();
          continue;
        }
        const code = ack && ack.error && ack.error.code;
        if (isRetryable(code)) {
          await new Promise((resolve) => setTimeout(resolve, code === 'RATE_LIMITED' ? 1500 : 4000));
          continue; // temporary: same clientId again
        }
        // Permanent (too long, empty, invalid): keep it on screen, marked, with the reason.
        outbox.remove(item.clientId);
        markFailed(item.clientId, errorText(ack && ack.error) || t.notSent);
      }
    } finally {
      flushing = false;
    }
  }

  /** Asks the server for a person (the `handoff` event); a click while offline is sent once connected. */
  async function requestHandoff() {
    if (!handoffWanted || !connected) return;
    let ack;
    try {
      ack = await request('handoff', {});
    } catch {
      return; // no answer (connection lost): asked again after reconnecting
    }
    handoffWanted = false;
    if (ack && ack.ok) setHumanMode(ack.status === 'agent' || ack.status === 'waiting_for_agent');
    else console.warn('[frontdesk] handoff refused', ack && ack.error);
  }

  function renderOutbox() {
    for (const item of outbox.all()) renderPending(item);
  }

  /** @param {OutboxItem} item */
  function renderPending(item) {
    let element = query(ui.list, `li[data-client-id="${cssEscape(item.clientId)}"]`);
    if (element && !element.dataset.messageId) {
      ui.list.appendChild(element); // keep unsent messages last
      return;
    }
    if (element) return;
    element = createMessage({ role: 'visitor', text: item.text, createdAt: item.createdAt });
    element.dataset.clientId = item.clientId;
    element.classList.add('pending');
    $('.state', element).textContent = connected ? t.sending : t.queued;
    ui.list.appendChild(element);
  }

  /** @param {string} clientId @param {{ messageId: string }} ack */
  function markSent(clientId, ack) {
    const element = query(ui.list, `li[data-client-id="${cssEscape(clientId)}"]`);
    if (!element) return;
    if (messageElement(ack.messageId)) {
      element.remove(); // already shown (e.g. from history)
      return;
    }
    element.dataset.messageId = ack.messageId;
    element.classList.remove('pending');
    $('.state', element).textContent = '';
  }

  /** @param {string} clientId @param {string} reason */
  function markFailed(clientId, reason) {
    const element = query(ui.list, `li[data-client-id="${cssEscape(clientId)}"]`);
    if (!element) return;
    element.classList.remove('pending');
    element.classList.add('failed');
    $('.state', element).textContent = `${t.notSent}: ${reason}`;
  }

  /** @param {ShownMessage & { messageId: string }} message */
  function upsertMessage(message) {
    const existing = messageElement(message.messageId);
    if (existing) return existing;
    const element = createMessage(message);
    element.dataset.messageId = message.messageId;
    // Stored messages go before the ones still being sent.
    ui.list.insertBefore(element, ui.list.querySelector('li.pending, li.failed'));
    return element;
  }

  /**
   * `readOnly`: a message of the previous conversation, without feedback or suggestion buttons.
   * @param {ShownMessage} message
   */
  function createMessage(message, { readOnly = false } = {}) {
    const role = message.role === 'agent' ? 'agent' : message.role === 'visitor' ? 'visitor' : 'bot';
    const element = elementOf(`<li class="message ${role}">
      <span class="sr-only who"></span>
      <div class="bubble"></div>
      <div class="meta"><time></time> <span class="state"></span></div>
    </li>`);
    const agentName = message.agent && message.agent.name;
    $('.who', element).textContent = `${role === 'visitor' ? t.you : role === 'agent' ? agentName || t.agent : t.bot}: `;
    if (role === 'agent') $('.who', element).className = 'author who'; // agents are named visibly
    $('.bubble', element).appendChild(messageContent(message));
    const time = find(element, 'time', HTMLTimeElement);
    const date = new Date(message.createdAt || Date.now());
    if (!Number.isNaN(date.getTime())) {
      time.dateTime = date.toISOString();
      time.textContent = date.toLocaleTimeString(language || undefined, { hour: 'numeric', minute: '2-digit' });
    }
    if (role !== 'visitor' && message.messageId && !readOnly) {
      if (message.source) element.dataset.source = message.source;
      if (Array.isArray(message.suggestions) && message.suggestions.length) element.insertBefore(suggestionButtons(message.suggestions), $('.meta', element));
      $('.meta', element).appendChild(feedbackButtons(message.messageId));
    }
    return element;
  }

  /** @param {NonNullable<ReplyEvent['suggestions']>} suggestions */
  function suggestionButtons(suggestions) {
    const group = elementOf(`<div class="suggestions" role="group"></div>`);
    group.setAttribute('aria-label', t.suggestions);
    for (const suggestion of suggestions.slice(0, 6)) {
      const button = elementOf(`<button class="chip" type="button"></button>`);
      button.textContent = suggestion.label;
      button.dataset.intent = suggestion.intent;
      button.addEventListener('click', () => {
        send(suggestion.label);
        ui.input.focus();
      });
      group.appendChild(button);
    }
    return group;
  }

  /** @param {string} messageId */
  function feedbackButtons(messageId) {
    const group = elementOf(`<div class="feedback" role="group">
      <button class="thumb up" type="button" aria-pressed="false">${ICONS.up}</button>
      <button class="thumb down" type="button" aria-pressed="false">${ICONS.up}</button>
      <span class="feedback-note" aria-live="polite"></span>
    </div>`);
    group.setAttribute('aria-label', `${t.helpful}?`);
    const up = $('.up', group);
    const down = $('.down', group);
    const note = $('.feedback-note', group);
    up.setAttribute('aria-label', t.helpful);
    up.title = t.helpful;
    down.setAttribute('aria-label', t.notHelpful);
    down.title = t.notHelpful;
    const show = (/** @type {Rating | undefined} */ rating) => {
      up.setAttribute('aria-pressed', String(rating === 'up'));
      down.setAttribute('aria-pressed', String(rating === 'down'));
    };
    show(feedbackGiven[messageId]);
    const rate = async (/** @type {Rating} */ rating) => {
      const previous = feedbackGiven[messageId];
      show(rating);
      note.textContent = '';
      // Pressed at once for the visitor; data-saved only once the server has acknowledged the rating.
      group.setAttribute('aria-busy', 'true');
      let ack;
      try {
        ack = await request('feedback', { messageId, rating });
      } catch {
        ack = null;
      }
      if (ack && ack.ok) {
        feedbackGiven[messageId] = rating;
        const keys = Object.keys(feedbackGiven);
        for (const key of keys.slice(0, Math.max(0, keys.length - 300))) delete feedbackGiven[key];
        storage.set('feedback', JSON.stringify(feedbackGiven));
        note.textContent = t.feedbackThanks;
        group.dataset.saved = rating;
      } else {
        show(previous);
        note.textContent = t.feedbackFailed;
      }
      group.removeAttribute('aria-busy');
    };
    up.addEventListener('click', () => rate('up'));
    down.addEventListener('click', () => rate('down'));
    return group;
  }

  function clearMessages() {
    ui.list.replaceChildren();
    awaiting.clear();
    updateTyping();
    renderOutbox();
  }

  /** @param {string | null | undefined} messageId */
  function messageElement(messageId) {
    return messageId ? query(ui.list, `li[data-message-id="${cssEscape(messageId)}"]`) : null;
  }

  /** @param {string} messageId */
  function replyExists(messageId) {
    const element = messageElement(messageId);
    return Boolean(element && element.nextElementSibling && element.nextElementSibling.matches('.bot, .agent'));
  }

  // ---------------------------------------------------------------- typing indicator and status

  function startTyping() {
    ui.typing.hidden = false;
    clearTimeout(typingTimer);
    // Replies normally take milliseconds; never leave the dots on for ever if one is lost.
    typingTimer = window.setTimeout(() => {
      awaiting.clear();
      ui.typing.hidden = true;
    }, 20000);
  }

  function updateTyping() {
    if (!humanMode && (awaiting.size > 0 || (flushing && outbox.all().length > 0))) startTyping();
    else {
      clearTimeout(typingTimer);
      ui.typing.hidden = true;
    }
  }

  /** @param {boolean} value */
  function setHumanMode(value) {
    humanMode = value;
    ui.human.hidden = value;
    ui.wrapper.dataset.mode = value ? 'human' : 'bot';
    if (value) awaiting.clear();
    setStatus(currentState);
  }

  /** @param {ConnectionState} state */
  function setStatus(state) {
    currentState = state;
    ui.wrapper.dataset.state = state;
    ui.status.textContent =
      state === 'online' || state === 'idle' ? (humanMode ? t.humanMode : subtitleOnline) : state === 'connecting' ? t.connecting : state === 'offline' ? t.offline : state === 'reconnecting' ? t.reconnecting : t.unreachable;
    ui.status.classList.toggle('problem', state === 'unreachable' || state === 'offline' || state === 'reconnecting');
  }

  function updateBadge() {
    ui.badge.hidden = unread === 0;
    ui.badge.textContent = unread > 9 ? '9+' : String(unread);
    ui.launcher.setAttribute('aria-label', `${t.open}: ${title}${unread ? ` (${t.newMessages(unread)})` : ''}`);
  }

  // ---------------------------------------------------------------- open, close, end of chat

  function open({ focus = true } = {}) {
    if (!ui.panel.hidden) return;
    ui.panel.hidden = false;
    ui.wrapper.classList.add('open');
    ui.launcher.setAttribute('aria-expanded', 'true');
    ui.launcher.setAttribute('aria-label', `${t.close}: ${title}`);
    storage.set('open', '1', true);
    unread = 0;
    ui.badge.hidden = true;
    connect();
    scrollToEnd();
    if (!focus) return;
    const view = ui.wrapper.dataset.view;
    (view === 'csat' ? $('input', ui.csat) : view === 'done' ? $('.thanks') : ui.input).focus();
  }

  function close({ restoreFocus = true } = {}) {
    if (ui.panel.hidden) return;
    ui.panel.hidden = true;
    ui.wrapper.classList.remove('open');
    ui.launcher.setAttribute('aria-expanded', 'false');
    updateBadge();
    storage.remove('open', true);
    if (restoreFocus) ui.launcher.focus();
  }

  /** @param {View} view */
  function showView(view) {
    ui.controls.hidden = view !== 'chat';
    ui.csat.hidden = view !== 'csat';
    ui.csatDone.hidden = view !== 'done';
    ui.end.hidden = view !== 'chat';
    ui.wrapper.dataset.view = view;
  }

  function showRating() {
    showView('csat');
    ui.csatError.textContent = '';
    (query(ui.csat, 'input:checked') || $('input', ui.csat)).focus();
  }

  /** @param {SubmitEvent} event */
  async function submitRating(event) {
    event.preventDefault();
    const score = pickedScore();
    if (!score) {
      ui.csatError.textContent = t.pickScore;
      return;
    }
    const submit = find(ui.csat, '.submit-rating', HTMLButtonElement);
    submit.disabled = true;
    ui.csatError.textContent = '';
    /** @type {Ack | null} */
    let ack;
    try {
      ack = await request('csat', { score, ...(conversationId ? { conversationId } : {}) });
    } catch {
      ack = null; // no answer
    } finally {
      submit.disabled = false;
    }
    if (ack && ack.ok) {
      showView('done');
      $('.thanks').focus();
    } else {
      const detail = ack ? errorText(ack.error) : connected ? '' : t.offline;
      ui.csatError.textContent = detail ? `${t.ratingFailed}: ${detail}` : `${t.ratingFailed}.`;
    }
  }

  function startNewChat() {
    for (const input of ui.csat.querySelectorAll('input')) input.checked = false;
    paintStars();
    showView('chat');
    ui.input.focus();
    // A rated conversation is resolved on the server, so reconnecting opens a fresh one.
    if (socket && socket.connected) {
      socket.disconnect();
      socket.connect();
    }
  }

  /** The score (1 to 5) picked in the rating form; 0 for none. */
  function pickedScore() {
    const checked = ui.csat.querySelector('input[name="score"]:checked');
    return checked instanceof HTMLInputElement ? Number(checked.value) : 0;
  }

  function paintStars() {
    const score = pickedScore();
    ui.stars.querySelectorAll('.star').forEach((label, index) => label.classList.toggle('on', index < score));
  }

  // ---------------------------------------------------------------- events

  ui.launcher.addEventListener('click', () => (ui.panel.hidden ? open() : close()));
  ui.close.addEventListener('click', () => close());
  ui.end.addEventListener('click', showRating);
  ui.human.addEventListener('click', () => {
    handoffWanted = true;
    connect();
    void requestHandoff();
    ui.input.focus();
  });
  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.input.value;
    if (!text.trim()) return;
    ui.input.value = '';
    autosize();
    sendTyping(false);
    send(text);
  });
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.input.addEventListener('input', () => {
    autosize();
    sendTyping(ui.input.value.length > 0);
  });
  ui.input.addEventListener('blur', () => sendTyping(false));
  ui.file.addEventListener('change', () => {
    const file = ui.file.files && ui.file.files[0];
    ui.file.value = '';
    if (file) void sendFile(file);
  });
  ui.panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  });
  ui.csat.addEventListener('submit', submitRating);
  ui.csat.addEventListener('change', paintStars);
  $('.back', ui.csat).addEventListener('click', () => {
    showView('chat');
    ui.input.focus();
  });
  $('.new-chat').addEventListener('click', startNewChat);
  window.addEventListener('online', () => socket && !socket.connected && !socket.active && socket.connect());
  window.addEventListener('offline', () => connected || setStatus('offline'));
  window.addEventListener('storage', (event) => {
    if (event.key === `${keyPrefix}outbox` && connected) {
      renderOutbox();
      void flushOutbox();
    }
  });

  function autosize() {
    ui.input.style.height = 'auto';
    ui.input.style.height = `${Math.min(ui.input.scrollHeight, 120)}px`;
  }

  function scrollToEnd() {
    requestAnimationFrame(() => {
      ui.log.scrollTop = ui.log.scrollHeight;
    });
  }

  function setContrast() {
    // Pick dark or light text on the accent colour (WCAG relative luminance of what the browser resolved).
    const probe = document.createElement('span');
    probe.style.color = accent;
    root.appendChild(probe);
    const [r = 37, g = 99, b = 235] = (getComputedStyle(probe).color.match(/[\d.]+/g) || []).map(Number);
    probe.remove();
    const channel = (/** @type {number} */ value) => {
      const v = value / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    const luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    host.style.setProperty('--fd-on-accent', luminance > 0.4 ? '#111827' : '#ffffff');
  }

  // ---------------------------------------------------------------- helpers

  /**
   * The element of class `type` that `selector` finds in `parent`: one of the widget's own markup,
   * so a miss is a bug.
   * @template {Element} T
   * @param {ParentNode} parent
   * @param {string} selector
   * @param {new () => T} type
   * @returns {T}
   */
  function find(parent, selector, type) {
    const element = parent.querySelector(selector);
    if (!(element instanceof type)) throw new Error(`frontdesk widget: no ${selector}`);
    return element;
  }

  /** The element `selector` finds in `parent`, if any. @param {ParentNode} parent @param {string} selector */
  function query(parent, selector) {
    const element = parent.querySelector(selector);
    return element instanceof HTMLElement ? element : null;
  }

  /** The one element `markup` describes. @param {string} markup */
  function elementOf(markup) {
    const element = html(markup).firstElementChild;
    if (!(element instanceof HTMLElement)) throw new Error('frontdesk widget: markup without an element');
    return element;
  }

  /** @param {string} markup */
  function html(markup) {
    const template = document.createElement('template');
    template.innerHTML = markup.trim();
    return template.content;
  }

  /** @param {ShadowRoot} shadow @param {string} css */
  function setStyles(shadow, css) {
    // Constructed style sheets are not subject to the host page's CSP style-src; <style> is the fallback.
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      shadow.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement('style');
      style.textContent = css;
      shadow.appendChild(style);
    }
  }

  function newClientId() {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return `w-${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  }

  /** @param {string} value */
  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, '\\$&');
  }

  /** Whether a refusal is temporary (src/gateway/protocol.ts): the message is sent again. @param {ErrorCode | undefined} code */
  function isRetryable(code) {
    return RETRYABLE_ERROR_CODES.some((retryable) => retryable === code);
  }

  /** The visitor's-language text for an error: by its code, else the message given (offline notes are already translated). */
  /** @param {ProtocolErrorBody | undefined} error */
  function errorText(error) {
    if (!error) return '';
    return (error.code && t.errors[error.code]) || error.message || '';
  }

  /** @param {unknown} item @returns {item is OutboxItem} */
  function isOutboxItem(item) {
    return typeof item === 'object' && item !== null && 'clientId' in item && typeof item.clientId === 'string';
  }

  /** @param {string | undefined} value */
  function normalizeLanguage(value) {
    const [, base, region] = /^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2,4}))?/.exec(String(value || '').trim()) || [];
    return base ? base.toLowerCase() + (region ? `-${region}` : '') : undefined;
  }

  // ---------------------------------------------------------------- start

  function start() {
    document.body.appendChild(host);
    showView('chat');
    setStatus('idle');
    renderOutbox();
    // A visitor who never opened the widget creates nothing on the server; a returning one (or one
    // with unsent messages) reconnects at once to receive answers and agents' messages.
    if (storage.get('open', true)) open({ focus: false }); // reopened after a reload, without taking the page's focus
    else if (storage.get('token') || outbox.all().length) connect();
  }

  /**
   * The page signed its customer in (a token) or out (null) without a reload: a connected widget
   * reconnects with it; one not connected yet uses it when it connects.
   * @param {string | null} token
   */
  function identify(token) {
    customerToken = token || null;
    if (socket && socket.active) {
      socket.disconnect();
      socket.connect();
    }
  }

  window.FrontdeskWidget = Object.freeze({ open: () => open(), close: () => close(), toggle: () => (ui.panel.hidden ? open() : close()), identify });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
