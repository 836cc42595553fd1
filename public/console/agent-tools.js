// @ts-check
// frontdesk agent console, agents' tools (issue 20): internal notes and attachments shown in the
// transcript, a note box, sending a file, canned replies inserted with /shortcut (and managed here),
// typing indicators both ways, and desktop notifications for new waiting conversations. Plain
// JavaScript; app.js lends the API, `h`, the session, the socket and the open conversation.

/** @typedef {import('../../src/agents/agent-tools.ts').NoteView} NoteView */
/** @typedef {import('../../src/agents/agent-tools.ts').CannedReplyView} CannedReplyView */
/** @typedef {import('../../src/attachments/attachments.ts').AttachmentView} AttachmentView */
/** @typedef {import('../../src/gateway/typing.ts').TypingEvent} TypingEvent */
/** @typedef {import('../../src/store/workspace-store.ts').ConversationSummary} WaitingSummary */

(() => {
  'use strict';

  const shared = window.frontdeskConsole;
  if (!shared) return;
  const { api, h, messageOf, token, socket, selected } = shared;
  /** Agents' typing is passed on at most this often (the server throttles too). */
  const TYPING_EVERY_MS = 2000;
  const SHORTCUT_AT_END = /(^|\s)\/([\p{L}\p{N}_-]{1,32})$/u;

  /**
   * The open conversation's notes and attachments, and the message times drawn last.
   * @type {{ conversationId: string | null, notes: NoteView[], attachments: AttachmentView[], createdAt: string[], loading: string | null, canned: CannedReplyView[], suggestion: number, waiting: Set<string> | null, typingSent: number, visitorTypingTimer: number }}
   */
  const state = { conversationId: null, notes: [], attachments: [], createdAt: [], loading: null, canned: [], suggestion: 0, waiting: null, typingSent: 0, visitorTypingTimer: 0 };

  /** @template {HTMLElement} T @param {string} id @param {new () => T} type @returns {T} */
  function byId(id, type) {
    const element = document.getElementById(id);
    if (!(element instanceof type)) throw new Error(`agent tools: no #${id}`);
    return element;
  }
  const messages = () => byId('messages', HTMLOListElement);
  const composerText = () => byId('composer-text', HTMLTextAreaElement);

  /** @param {string} message */
  function showError(message) {
    const banner = byId('action-error', HTMLElement);
    banner.textContent = message;
    banner.hidden = false;
  }

  // ------------------------------------------------------------------------------ transcript extras

  document.addEventListener('console:messages', (event) => {
    const { conversationId, createdAt, canReply } = event.detail;
    byId('composer-file', HTMLInputElement).disabled = !canReply;
    if (state.conversationId !== conversationId) {
      state.conversationId = conversationId;
      state.notes = [];
      state.attachments = [];
      byId('typing-indicator', HTMLElement).hidden = true;
    }
    state.createdAt = createdAt;
    drawExtras();
    void loadExtras(conversationId);
  });

  /** @param {string} conversationId */
  async function loadExtras(conversationId) {
    if (state.loading === conversationId) return;
    state.loading = conversationId;
    try {
      const [notes, files] = await Promise.all([
        /** @type {Promise<{ notes: NoteView[] }>} */ (api(`/conversations/${conversationId}/notes`)),
        /** @type {Promise<{ attachments: AttachmentView[] }>} */ (api(`/conversations/${conversationId}/attachments`)),
      ]);
      if (state.conversationId !== conversationId) return;
      state.notes = notes.notes;
      state.attachments = files.attachments;
      drawExtras();
    } catch {
      // Shown again with the next update.
    } finally {
      state.loading = null;
    }
  }

  /** Puts notes and attachments between the messages app.js drew, by time. */
  function drawExtras() {
    const list = messages();
    for (const item of list.querySelectorAll('li[data-extra]')) item.remove();
    const drawn = Array.from(list.children);
    /** @type {Array<{ at: string, item: HTMLElement }>} */
    const extras = [
      ...state.notes.map((note) => ({ at: note.createdAt, item: noteItem(note) })),
      ...state.attachments.map((attachment) => ({ at: attachment.createdAt, item: attachmentItem(attachment) })),
    ].sort((a, b) => a.at.localeCompare(b.at));
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    for (const { at, item } of extras) {
      const index = state.createdAt.findIndex((time) => time > at);
      const before = index >= 0 ? drawn[index] : undefined;
      list.insertBefore(item, before ?? null);
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  /** @param {NoteView} note */
  function noteItem(note) {
    return h('li', { class: 'message note', dataset: { extra: 'note', noteId: note.id } },
      h('div', { class: 'bubble' }, note.text),
      h('div', { class: 'meta muted small' }, h('span', { class: 'tag' }, 'internal note'), h('span', {}, `${note.agent.name} · ${new Date(note.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}`)));
  }

  /** @param {AttachmentView} attachment */
  function attachmentItem(attachment) {
    const who = attachment.role === 'visitor' ? 'visitor' : 'agent';
    const body = attachment.image
      ? h('a', { href: attachment.url, target: '_blank', rel: 'noopener' }, h('img', { src: attachment.url, alt: attachment.fileName }))
      : h('a', { href: attachment.url, download: attachment.fileName }, `PDF: ${attachment.fileName}`);
    return h('li', { class: `message ${who} attachment`, dataset: { extra: 'attachment', attachmentId: attachment.id } },
      h('div', { class: 'bubble' }, body),
      h('div', { class: 'meta muted small' }, h('span', {}, `${attachment.fileName} · ${Math.ceil(attachment.size / 1024)} KB${attachment.agent ? ` · ${attachment.agent.name}` : ''}`)));
  }

  // ------------------------------------------------------------------------------ notes

  byId('note-form', HTMLFormElement).addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = byId('note-text', HTMLTextAreaElement);
    const conversationId = selected();
    if (!conversationId || !text.value.trim()) return;
    try {
      /** @type {{ note: NoteView }} */
      const { note } = await api(`/conversations/${conversationId}/notes`, { body: { text: text.value } });
      text.value = '';
      addNote(note);
    } catch (error) {
      showError(messageOf(error));
    }
  });

  /** @param {NoteView} note */
  function addNote(note) {
    if (note.conversationId !== state.conversationId || state.notes.some((known) => known.id === note.id)) return;
    state.notes.push(note);
    drawExtras();
  }

  /** @param {AttachmentView} attachment */
  function addAttachment(attachment) {
    if (attachment.conversationId !== state.conversationId || state.attachments.some((known) => known.id === attachment.id)) return;
    state.attachments.push(attachment);
    drawExtras();
  }

  // ------------------------------------------------------------------------------ attachments

  byId('composer-file', HTMLInputElement).addEventListener('change', async (event) => {
    const input = /** @type {HTMLInputElement} */ (event.currentTarget);
    const file = input.files && input.files[0];
    const conversationId = selected();
    input.value = '';
    if (!file || !conversationId) return;
    try {
      const response = await fetch(`/api/agent/conversations/${conversationId}/attachments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token() ?? ''}`, 'content-type': 'application/octet-stream', 'x-file-name': encodeURIComponent(file.name) },
        body: file,
      });
      /** @type {{ ok: true, attachment: AttachmentView } | import('../../src/protocol/errors.ts').ErrorBody} */
      const result = await response.json();
      if (!result.ok) throw Object.assign(new Error(result.error.message), { code: result.error.code });
      addAttachment(result.attachment);
    } catch (error) {
      showError(messageOf(error));
    }
  });

  // ------------------------------------------------------------------------------ canned replies

  async function loadCanned() {
    try {
      /** @type {{ cannedReplies: CannedReplyView[] }} */
      const { cannedReplies } = await api('/canned-replies');
      state.canned = cannedReplies;
      drawCannedList();
    } catch {
      // Tried again when the manager opens.
    }
  }

  function drawCannedList() {
    byId('canned-list', HTMLUListElement).replaceChildren(
      ...state.canned.map((reply) =>
        h('li', { dataset: { shortcut: reply.shortcut } },
          h('code', {}, `/${reply.shortcut}`), ' ', reply.shared ? h('span', { class: 'tag' }, 'shared') : null, ' ', h('span', { class: 'muted' }, reply.text.slice(0, 120)), ' ',
          reply.editable ? h('button', { type: 'button', class: 'link', onclick: () => void removeCanned(reply) }, 'Delete') : null)),
    );
  }

  /** @param {CannedReplyView} reply */
  async function removeCanned(reply) {
    try {
      await api(`/canned-replies/${reply.id}`, { method: 'DELETE' });
      await loadCanned();
    } catch (error) {
      cannedError(messageOf(error));
    }
  }

  /** @param {string} message */
  function cannedError(message) {
    const element = byId('canned-error', HTMLElement);
    element.textContent = message;
    element.hidden = !message;
  }

  byId('canned-manager', HTMLDetailsElement).addEventListener('toggle', () => void loadCanned());
  byId('canned-form', HTMLFormElement).addEventListener('submit', async (event) => {
    event.preventDefault();
    const shortcut = byId('canned-shortcut', HTMLInputElement);
    const text = byId('canned-text', HTMLTextAreaElement);
    try {
      await api('/canned-replies', { body: { shortcut: shortcut.value.replace(/^\//, ''), text: text.value, shared: byId('canned-shared', HTMLInputElement).checked } });
      shortcut.value = '';
      text.value = '';
      cannedError('');
      await loadCanned();
    } catch (error) {
      cannedError(messageOf(error));
    }
  });

  /** The canned replies whose shortcut starts with what follows the `/` at the end of the reply box. */
  function suggestions() {
    const match = SHORTCUT_AT_END.exec(composerText().value);
    if (!match) return [];
    const typed = (match[2] ?? '').toLowerCase();
    return state.canned.filter((reply) => reply.shortcut.toLowerCase().startsWith(typed)).slice(0, 8);
  }

  function drawSuggestions() {
    const list = byId('canned-suggestions', HTMLUListElement);
    const found = suggestions();
    state.suggestion = Math.min(state.suggestion, Math.max(0, found.length - 1));
    list.hidden = found.length === 0;
    list.replaceChildren(...found.map((reply, index) =>
      h('li', { class: index === state.suggestion ? 'active' : '', dataset: { shortcut: reply.shortcut } }, h('code', {}, `/${reply.shortcut}`), ' ', h('span', { class: 'muted' }, reply.text.slice(0, 80)))));
  }

  /** Replaces the `/shortcut` at the end of the reply box by the canned reply filled in for this conversation. */
  async function expand() {
    const found = suggestions();
    const reply = found[state.suggestion] ?? found[0];
    const conversationId = selected();
    if (!reply || !conversationId) return false;
    const textarea = composerText();
    try {
      /** @type {{ text: string, missing: string[] }} */
      const rendered = await api(`/conversations/${conversationId}/canned-replies/${encodeURIComponent(reply.shortcut)}`);
      textarea.value = textarea.value.replace(SHORTCUT_AT_END, (_whole, space) => `${space}${rendered.text}`);
      if (rendered.missing.length > 0) showError(`No value in this conversation for: ${rendered.missing.join(', ')}. Fill it in before sending.`);
    } catch (error) {
      showError(messageOf(error));
    }
    byId('canned-suggestions', HTMLUListElement).hidden = true;
    textarea.focus();
    return true;
  }

  // Before app.js's own Enter handler (which sends): on the form, in the capture phase.
  byId('composer', HTMLFormElement).addEventListener('keydown', (event) => {
    if (event.target !== composerText() || event.isComposing) return;
    const found = suggestions();
    if (found.length === 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      state.suggestion = (state.suggestion + (event.key === 'ArrowDown' ? 1 : found.length - 1)) % found.length;
      drawSuggestions();
    } else if (event.key === 'Tab' || (event.key === 'Enter' && !event.shiftKey)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      void expand();
    } else if (event.key === 'Escape') {
      byId('canned-suggestions', HTMLUListElement).hidden = true;
    }
  }, true);

  composerText().addEventListener('input', () => {
    if (state.canned.length === 0 && composerText().value.includes('/')) void loadCanned().then(drawSuggestions);
    drawSuggestions();
    sendTyping(composerText().value.length > 0);
  });
  composerText().addEventListener('blur', () => sendTyping(false));
  byId('composer', HTMLFormElement).addEventListener('submit', () => sendTyping(false));

  // ------------------------------------------------------------------------------ typing

  /** @param {boolean} typing */
  function sendTyping(typing) {
    const live = socket();
    const conversationId = selected();
    if (!live || !conversationId) return;
    const now = Date.now();
    if (typing) {
      if (now - state.typingSent < TYPING_EVERY_MS) return;
      state.typingSent = now;
    } else {
      if (state.typingSent === 0) return;
      state.typingSent = 0;
    }
    live.emit('typing', { conversationId, typing });
  }

  // ------------------------------------------------------------------------------ live events and notifications

  document.addEventListener('console:socket', (event) => {
    const live = event.detail;
    state.waiting = null;
    live.on('note', (/** @type {NoteView} */ note) => addNote(note));
    live.on('attachment', (/** @type {AttachmentView} */ attachment) => addAttachment(attachment));
    live.on('typing', (/** @type {TypingEvent} */ event) => {
      if (event.role !== 'visitor' || event.conversationId !== state.conversationId) return;
      const indicator = byId('typing-indicator', HTMLElement);
      clearTimeout(state.visitorTypingTimer);
      indicator.textContent = 'The visitor is typing…';
      indicator.hidden = !event.typing;
      // A lost "stopped" event hides it anyway.
      if (event.typing) state.visitorTypingTimer = window.setTimeout(() => { indicator.hidden = true; }, 3 * TYPING_EVERY_MS);
    });
    live.on('queue', (/** @type {{ waiting: WaitingSummary[] }} */ queue) => notifyNewWaiting(queue.waiting));
    void loadCanned();
    showNotifyButton();
  });

  /** A desktop notification for each conversation that joined the waiting queue since the last update. @param {WaitingSummary[]} waiting */
  function notifyNewWaiting(waiting) {
    const before = state.waiting;
    state.waiting = new Set(waiting.map((summary) => summary.id));
    if (!before || !('Notification' in window) || Notification.permission !== 'granted') return;
    for (const summary of waiting) {
      if (before.has(summary.id)) continue;
      const notification = new Notification('A visitor is waiting for an agent', { body: summary.last ? summary.last.text.slice(0, 140) : '', tag: `waiting-${summary.id}` });
      notification.onclick = () => {
        window.focus();
        const item = document.querySelector(`[data-id="${CSS.escape(summary.id)}"]`);
        if (item instanceof HTMLElement) item.click();
      };
    }
  }

  function showNotifyButton() {
    const button = byId('notify', HTMLButtonElement);
    if (!('Notification' in window) || Notification.permission !== 'default') {
      button.hidden = true;
      return;
    }
    button.hidden = false;
    // Browsers ask only on a user's action.
    button.onclick = async () => {
      await Notification.requestPermission();
      button.hidden = Notification.permission !== 'default';
    };
  }

  // Shared canned replies are admins' to manage.
  void (/** @type {Promise<{ agent: { role: string } }>} */ (api('/me'))).then(
    (me) => { byId('canned-shared-label', HTMLElement).hidden = me.agent.role !== 'admin'; },
    () => {},
  );
})();
