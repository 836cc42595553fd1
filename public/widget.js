/*
 * frontdesk chat widget: plain JavaScript, no build step.
 *
 *   <script src="https://chat.example.com/widget.js" data-title="Support" data-color="#0f766e" async></script>
 *
 * The server serves this file at /widget.js inside one function scope together with the Socket.IO
 * client (`io`), so nothing leaks into the host page; loaded on its own, it fetches the client that
 * Socket.IO serves. Everything it draws lives in a shadow root. See docs/widget.md.
 */
(function () {
  'use strict';

  const script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  if (window.FrontdeskWidget) return; // pasted twice: one widget is enough
  const data = (script && script.dataset) || {};

  // ---------------------------------------------------------------- configuration

  const scriptUrl = new URL((script && script.src) || location.href, location.href);
  const serverUrl = new URL(data.server || new URL('.', scriptUrl).href, location.href);
  const serverPath = serverUrl.pathname.replace(/\/+$/, '');
  // The visitor's own language (the browser's) before the page's: a shop page in English is still read by visitors who write German.
  const language = normalizeLanguage(data.language || navigator.language || document.documentElement.lang);
  const STRINGS = {
    en: {
      title: 'Chat with us', open: 'Open chat', close: 'Close chat', newMessages: (n) => `${n} new`,
      conversation: 'Conversation', you: 'You', bot: 'Assistant', agent: 'Support agent',
      inputLabel: 'Type your message', placeholder: 'Type your message…', send: 'Send',
      typing: (t) => `${t} is typing…`, connecting: 'Connecting…', online: 'We reply instantly',
      reconnecting: 'Reconnecting…', offline: 'You are offline', unreachable: 'Cannot connect to the chat service',
      sending: 'Sending…', queued: 'Will be sent when you are back online', notSent: 'Not sent', retry: 'Retry', helpful: 'Helpful', notHelpful: 'Not helpful',
      feedbackThanks: 'Thanks for your feedback', feedbackFailed: 'Feedback not saved', suggestions: 'Did you mean:',
      human: 'Talk to a person', end: 'End chat',
      rateLegend: 'How would you rate this chat?', stars: (n) => `${n} of 5`, submitRating: 'Send rating',
      backToChat: 'Back to chat', ratingThanks: 'Thank you for your rating!', newChat: 'Start a new chat',
      ratingFailed: 'Your rating could not be saved', pickScore: 'Choose a rating from 1 to 5 first.',
      greeting: 'Hi! How can we help you today?', humanMode: 'A member of our team will reply here',
      joined: (name) => `${name} joined the conversation`, waiting: 'Waiting for a member of our team', backToBot: 'You are chatting with our assistant again', resolved: 'The conversation was resolved',
      // Keyed by the server's stable error codes; the server's own message is English.
      errors: { TEXT_EMPTY: 'The message is empty.', TEXT_TOO_LONG: 'The message is too long.', INVALID_PAYLOAD: 'The message could not be read.', RATE_LIMITED: 'Too many messages; please wait a moment.', UNKNOWN_CONVERSATION: 'This conversation no longer exists.', UNKNOWN_MESSAGE: 'That message no longer exists.', INVALID_TOKEN: 'Your chat session expired.', DATABASE_UNAVAILABLE: 'The chat is temporarily unavailable.', SHUTTING_DOWN: 'The chat is restarting; please try again.', INTERNAL: 'Something went wrong on our side.' },
    },
    de: {
      title: 'Chatten Sie mit uns', open: 'Chat öffnen', close: 'Chat schließen', newMessages: (n) => `${n} neu`,
      conversation: 'Unterhaltung', you: 'Sie', bot: 'Assistent', agent: 'Support-Mitarbeiter',
      inputLabel: 'Ihre Nachricht', placeholder: 'Ihre Nachricht…', send: 'Senden',
      typing: (t) => `${t} schreibt…`, connecting: 'Verbinde…', online: 'Wir antworten sofort',
      reconnecting: 'Verbinde neu…', offline: 'Sie sind offline', unreachable: 'Keine Verbindung zum Chat-Dienst',
      sending: 'Wird gesendet…', queued: 'Wird gesendet, sobald Sie wieder online sind', notSent: 'Nicht gesendet', retry: 'Erneut senden', helpful: 'Hilfreich', notHelpful: 'Nicht hilfreich',
      feedbackThanks: 'Danke für Ihr Feedback', feedbackFailed: 'Feedback nicht gespeichert', suggestions: 'Meinten Sie:',
      human: 'Mit einem Menschen sprechen', end: 'Chat beenden',
      rateLegend: 'Wie bewerten Sie diesen Chat?', stars: (n) => `${n} von 5`, submitRating: 'Bewertung senden',
      backToChat: 'Zurück zum Chat', ratingThanks: 'Vielen Dank für Ihre Bewertung!', newChat: 'Neuen Chat beginnen',
      ratingFailed: 'Ihre Bewertung konnte nicht gespeichert werden', pickScore: 'Wählen Sie zuerst 1 bis 5.',
      greeting: 'Hallo! Wie können wir helfen?', humanMode: 'Ein Mitarbeiter antwortet Ihnen hier',
      joined: (name) => `${name} ist dem Gespräch beigetreten`, waiting: 'Wir warten auf ein Mitglied unseres Teams', backToBot: 'Sie schreiben wieder mit unserem Assistenten', resolved: 'Das Gespräch wurde abgeschlossen',
      // Keyed by the server's stable error codes; the server's own message is English.
      errors: { TEXT_EMPTY: 'Die Nachricht ist leer.', TEXT_TOO_LONG: 'Die Nachricht ist zu lang.', INVALID_PAYLOAD: 'Die Nachricht konnte nicht gelesen werden.', RATE_LIMITED: 'Zu viele Nachrichten, bitte einen Moment warten.', UNKNOWN_CONVERSATION: 'Diese Unterhaltung gibt es nicht mehr.', UNKNOWN_MESSAGE: 'Diese Nachricht gibt es nicht mehr.', INVALID_TOKEN: 'Ihre Chat-Sitzung ist abgelaufen.', DATABASE_UNAVAILABLE: 'Der Chat ist vorübergehend nicht verfügbar.', SHUTTING_DOWN: 'Der Chat startet neu, bitte erneut versuchen.', INTERNAL: 'Bei uns ist etwas schiefgelaufen.' },
    },
    fr: {
      title: 'Discutons', open: 'Ouvrir le chat', close: 'Fermer le chat', newMessages: (n) => `${n} nouveau(x)`,
      conversation: 'Conversation', you: 'Vous', bot: 'Assistant', agent: 'Conseiller',
      inputLabel: 'Votre message', placeholder: 'Votre message…', send: 'Envoyer',
      typing: (t) => `${t} écrit…`, connecting: 'Connexion…', online: 'Nous répondons tout de suite',
      reconnecting: 'Reconnexion…', offline: 'Vous êtes hors ligne', unreachable: 'Connexion au service de chat impossible',
      sending: 'Envoi…', queued: 'Sera envoyé dès le retour en ligne', notSent: 'Non envoyé', retry: 'Réessayer', helpful: 'Utile', notHelpful: 'Pas utile',
      feedbackThanks: 'Merci pour votre avis', feedbackFailed: 'Avis non enregistré', suggestions: 'Vouliez-vous dire :',
      human: 'Parler à une personne', end: 'Terminer',
      rateLegend: 'Comment évaluez-vous ce chat ?', stars: (n) => `${n} sur 5`, submitRating: 'Envoyer la note',
      backToChat: 'Retour au chat', ratingThanks: 'Merci pour votre note !', newChat: 'Nouvelle conversation',
      ratingFailed: "Votre note n'a pas pu être enregistrée", pickScore: 'Choisissez d’abord une note de 1 à 5.',
      greeting: 'Bonjour ! Comment pouvons-nous vous aider ?', humanMode: 'Un conseiller vous répondra ici',
      joined: (name) => `${name} a rejoint la conversation`, waiting: 'En attente d’un membre de notre équipe', backToBot: 'Vous discutez de nouveau avec notre assistant', resolved: 'La conversation a été résolue',
      // Keyed by the server's stable error codes; the server's own message is English.
      errors: { TEXT_EMPTY: 'Le message est vide.', TEXT_TOO_LONG: 'Le message est trop long.', INVALID_PAYLOAD: 'Le message n’a pas pu être lu.', RATE_LIMITED: 'Trop de messages, patientez un instant.', UNKNOWN_CONVERSATION: 'Cette conversation n’existe plus.', UNKNOWN_MESSAGE: 'Ce message n’existe plus.', INVALID_TOKEN: 'Votre session de chat a expiré.', DATABASE_UNAVAILABLE: 'Le chat est momentanément indisponible.', SHUTTING_DOWN: 'Le chat redémarre, réessayez.', INTERNAL: 'Une erreur est survenue de notre côté.' },
    },
    es: {
      title: 'Chatea con nosotros', open: 'Abrir chat', close: 'Cerrar chat', newMessages: (n) => `${n} nuevo(s)`,
      conversation: 'Conversación', you: 'Tú', bot: 'Asistente', agent: 'Agente',
      inputLabel: 'Escribe tu mensaje', placeholder: 'Escribe tu mensaje…', send: 'Enviar',
      typing: (t) => `${t} está escribiendo…`, connecting: 'Conectando…', online: 'Respondemos al instante',
      reconnecting: 'Reconectando…', offline: 'Sin conexión', unreachable: 'No se puede conectar con el chat',
      sending: 'Enviando…', queued: 'Se enviará al volver la conexión', notSent: 'No enviado', retry: 'Reintentar', helpful: 'Útil', notHelpful: 'No útil',
      feedbackThanks: 'Gracias por tu opinión', feedbackFailed: 'Opinión no guardada', suggestions: '¿Quisiste decir?',
      human: 'Hablar con una persona', end: 'Terminar chat',
      rateLegend: '¿Cómo valoras este chat?', stars: (n) => `${n} de 5`, submitRating: 'Enviar valoración',
      backToChat: 'Volver al chat', ratingThanks: '¡Gracias por tu valoración!', newChat: 'Nuevo chat',
      ratingFailed: 'No se pudo guardar tu valoración', pickScore: 'Elige primero una valoración de 1 a 5.',
      greeting: '¡Hola! ¿En qué podemos ayudarte?', humanMode: 'Una persona de nuestro equipo te responderá aquí',
      joined: (name) => `${name} se ha unido a la conversación`, waiting: 'Esperando a una persona de nuestro equipo', backToBot: 'Vuelves a hablar con nuestro asistente', resolved: 'La conversación se ha resuelto',
      // Keyed by the server's stable error codes; the server's own message is English.
      errors: { TEXT_EMPTY: 'El mensaje está vacío.', TEXT_TOO_LONG: 'El mensaje es demasiado largo.', INVALID_PAYLOAD: 'No se pudo leer el mensaje.', RATE_LIMITED: 'Demasiados mensajes; espera un momento.', UNKNOWN_CONVERSATION: 'Esta conversación ya no existe.', UNKNOWN_MESSAGE: 'Ese mensaje ya no existe.', INVALID_TOKEN: 'Tu sesión de chat ha caducado.', DATABASE_UNAVAILABLE: 'El chat no está disponible en este momento.', SHUTTING_DOWN: 'El chat se está reiniciando; inténtalo de nuevo.', INTERNAL: 'Algo ha fallado por nuestra parte.' },
    },
    zh: {
      title: '在线客服', open: '打开聊天', close: '关闭聊天', newMessages: (n) => `${n} 条新消息`,
      conversation: '对话', you: '你', bot: '助手', agent: '客服',
      inputLabel: '输入消息', placeholder: '输入消息…', send: '发送',
      typing: (t) => `${t}正在输入…`, connecting: '正在连接…', online: '即时回复',
      reconnecting: '正在重新连接…', offline: '已离线', unreachable: '无法连接到客服服务',
      sending: '发送中…', queued: '恢复连接后发送', notSent: '未发送', retry: '重试', helpful: '有帮助', notHelpful: '没有帮助',
      feedbackThanks: '感谢反馈', feedbackFailed: '反馈未保存', suggestions: '你是想问：',
      human: '转人工', end: '结束对话',
      rateLegend: '请为本次对话评分', stars: (n) => `${n} 分（满分 5 分）`, submitRating: '提交评分',
      backToChat: '返回对话', ratingThanks: '感谢你的评分！', newChat: '开始新对话',
      ratingFailed: '评分未能保存', pickScore: '请先选择 1 到 5 分。',
      greeting: '你好！有什么可以帮你？', humanMode: '人工客服将在这里回复你',
      joined: (name) => `${name} 已加入对话`, waiting: '正在等待客服人员', backToBot: '你正在与智能助手对话', resolved: '对话已解决',
      // Keyed by the server's stable error codes; the server's own message is English.
      errors: { TEXT_EMPTY: '消息为空。', TEXT_TOO_LONG: '消息太长了。', INVALID_PAYLOAD: '无法读取该消息。', RATE_LIMITED: '消息发送过于频繁，请稍候。', UNKNOWN_CONVERSATION: '该对话已不存在。', UNKNOWN_MESSAGE: '该消息已不存在。', INVALID_TOKEN: '聊天会话已过期。', DATABASE_UNAVAILABLE: '聊天服务暂时不可用。', SHUTTING_DOWN: '聊天服务正在重启，请重试。', INTERNAL: '我们这边出了点问题。' },
    },
  };
  const t = STRINGS[(language || 'en').split('-')[0]] || STRINGS.en;
  const title = (data.title || t.title).slice(0, 80);
  const subtitleOnline = data.subtitle || t.online;
  const greeting = data.greeting === undefined ? t.greeting : data.greeting;
  const position = data.position === 'left' ? 'left' : 'right';
  const accent = data.color && window.CSS && CSS.supports('color', data.color) ? data.color : '#2563eb';

  const STYLES = `
  :host { all: initial; }
  .fd { --fd-radius: 16px; --fd-bg: #fff; --fd-text: #111827; --fd-muted: #6b7280; --fd-line: #e5e7eb; --fd-soft: #f3f4f6;
    position: fixed; bottom: 20px; z-index: 2147483000; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif;
    color: var(--fd-text); -webkit-font-smoothing: antialiased; }
  .fd.right { right: 20px; } .fd.left { left: 20px; }
  *, *::before, *::after { box-sizing: border-box; }
  [hidden] { display: none !important; }
  svg { width: 20px; height: 20px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round; stroke-linejoin: round; flex: none; }
  button { font: inherit; color: inherit; cursor: pointer; }
  button:focus-visible, textarea:focus-visible, input:focus-visible + .sr-only + svg, .log:focus-visible, .thanks:focus-visible {
    outline: 3px solid var(--fd-accent); outline-offset: 2px; }
  .sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }

  .launcher { position: relative; display: grid; place-items: center; width: 60px; height: 60px; margin-left: auto; border: 0; border-radius: 50%;
    background: var(--fd-accent); color: var(--fd-on-accent); box-shadow: 0 8px 24px rgba(0,0,0,.22); transition: transform .15s ease; }
  .left .launcher { margin-left: 0; }
  .launcher:hover { transform: scale(1.05); }
  .launcher svg { width: 28px; height: 28px; }
  .launcher .launcher-close, .open .launcher > svg { display: none; }
  .open .launcher .launcher-close { display: contents; }
  .badge { position: absolute; top: -2px; right: -2px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px; background: #dc2626; color: #fff;
    font-size: 12px; font-weight: 700; line-height: 22px; text-align: center; box-shadow: 0 0 0 2px #fff; }

  .panel { position: absolute; bottom: 76px; right: 0; display: flex; flex-direction: column; width: 380px; height: min(620px, calc(100vh - 120px));
    background: var(--fd-bg); border-radius: var(--fd-radius); box-shadow: 0 16px 48px rgba(0,0,0,.22), 0 0 0 1px rgba(0,0,0,.06); overflow: hidden; overflow: clip; }
  .left .panel { right: auto; left: 0; }
  .header { flex: none; display: flex; align-items: center; gap: 10px; padding: 14px 12px 14px 16px; background: var(--fd-accent); color: var(--fd-on-accent); }
  .avatar { display: grid; place-items: center; width: 38px; height: 38px; border-radius: 50%; background: rgba(255,255,255,.2); }
  .heading { flex: 1; min-width: 0; }
  h2 { margin: 0; font-size: 16px; font-weight: 650; line-height: 1.25; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .status { margin: 2px 0 0; font-size: 12.5px; opacity: .9; }
  .status.problem { opacity: 1; font-weight: 600; }
  .status.problem::before { content: ""; display: inline-block; width: 8px; height: 8px; margin-right: 6px; border-radius: 50%; background: #fbbf24; box-shadow: 0 0 0 2px rgba(0,0,0,.15); }
  [data-state="unreachable"] .status.problem::before { background: #f87171; }
  .icon-button { display: grid; place-items: center; width: 36px; height: 36px; border: 0; border-radius: 50%; background: transparent; color: inherit; }
  .icon-button:hover { background: rgba(255,255,255,.18); }
  .text-button { border: 0; background: transparent; padding: 6px 8px; border-radius: 8px; font-size: 13px; font-weight: 600; text-decoration: underline; text-underline-offset: 3px; }
  .header .text-button { color: inherit; }
  .header .text-button:hover { background: rgba(255,255,255,.18); }

  .log { position: relative; flex: 1; overflow-y: auto; padding: 16px 14px 8px; background: #fafafa; overscroll-behavior: contain; }
  .greeting { margin: 0 0 12px; padding: 10px 14px; border-radius: 14px; background: var(--fd-bg); border: 1px solid var(--fd-line); color: var(--fd-text); max-width: 85%; }
  .messages, .earlier { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 10px; }
  .earlier { opacity: .75; }
  .notice { align-self: center; max-width: 90%; margin: 2px 0; padding: 3px 10px; border-radius: 999px; background: var(--fd-soft); color: var(--fd-muted);
    font-size: 12.5px; text-align: center; }
  .divider { display: flex; align-items: center; gap: 8px; margin: 12px 0; padding: 0; background: none; max-width: none; }
  .divider::before, .divider::after { content: ""; flex: 1; border-top: 1px solid var(--fd-line); }
  .message { display: flex; flex-direction: column; max-width: 85%; }
  .message.visitor { align-self: flex-end; align-items: flex-end; }
  .bubble { padding: 9px 13px; border-radius: 16px; white-space: pre-wrap; overflow-wrap: anywhere; }
  .bot .bubble, .agent .bubble { background: var(--fd-bg); border: 1px solid var(--fd-line); border-bottom-left-radius: 4px; }
  .agent .bubble { border-color: var(--fd-accent); }
  .author { margin: 0 0 3px 4px; font-size: 12px; font-weight: 650; color: var(--fd-muted); }
  .visitor .bubble { background: var(--fd-accent); color: var(--fd-on-accent); border-bottom-right-radius: 4px; }
  .pending .bubble { opacity: .7; }
  .failed .bubble { background: #fee2e2; color: #7f1d1d; }
  .meta { display: flex; gap: 6px; align-items: center; min-height: 20px; margin-top: 2px; padding: 0 4px; font-size: 11.5px; color: var(--fd-muted); }
  .failed .state { color: #b91c1c; font-weight: 600; }
  .suggestions { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 0 2px; }
  .message:not(:last-child) .suggestions { display: none; }
  .chip { display: inline-flex; align-items: center; gap: 6px; padding: 6px 12px; border: 1.5px solid var(--fd-accent); border-radius: 999px; background: var(--fd-bg);
    color: var(--fd-text); font-size: 13.5px; font-weight: 550; line-height: 1.3; }
  .chip:hover { background: var(--fd-soft); }
  .chip svg { width: 16px; height: 16px; color: var(--fd-accent); }
  .feedback { display: flex; align-items: center; gap: 0; margin-left: 2px; }
  .thumb { display: grid; place-items: center; width: 28px; height: 28px; border: 0; border-radius: 8px; background: transparent; color: var(--fd-muted); }
  .thumb svg { width: 16px; height: 16px; }
  .thumb.down svg { transform: rotate(180deg); }
  .thumb:hover { background: var(--fd-soft); color: var(--fd-text); }
  .thumb[aria-pressed="true"] { color: var(--fd-accent); background: var(--fd-soft); }
  .thumb[aria-pressed="true"] svg { fill: currentColor; fill-opacity: .18; }
  .feedback-note { font-size: 11.5px; color: var(--fd-muted); margin-left: 4px; }

  .typing { display: inline-flex; margin-top: 10px; padding: 12px 14px; border-radius: 16px; border-bottom-left-radius: 4px; background: var(--fd-bg); border: 1px solid var(--fd-line); }
  .dots { display: flex; gap: 4px; }
  .dots i { width: 7px; height: 7px; border-radius: 50%; background: var(--fd-muted); animation: fd-bounce 1.2s infinite ease-in-out; }
  .dots i:nth-child(2) { animation-delay: .15s; } .dots i:nth-child(3) { animation-delay: .3s; }
  @keyframes fd-bounce { 0%, 60%, 100% { transform: translateY(0); opacity: .5; } 30% { transform: translateY(-4px); opacity: 1; } }
  @media (prefers-reduced-motion: reduce) { .dots i { animation: none; } .launcher { transition: none; } }

  .chat-controls { flex: none; border-top: 1px solid var(--fd-line); background: var(--fd-bg); }
  .actions { display: flex; gap: 6px; padding: 10px 12px 0; }
  .composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px; }
  textarea { flex: 1; min-height: 42px; max-height: 120px; padding: 10px 12px; resize: none; border: 1.5px solid var(--fd-line); border-radius: 12px;
    font: inherit; color: var(--fd-text); background: var(--fd-bg); }
  textarea:focus { border-color: var(--fd-accent); }
  textarea:focus-visible { outline-offset: 0; outline-width: 2px; }
  .send { display: grid; place-items: center; width: 42px; height: 42px; border: 0; border-radius: 12px; background: var(--fd-accent); color: var(--fd-on-accent); }

  .csat, .csat-done { flex: none; padding: 16px; border-top: 1px solid var(--fd-line); background: var(--fd-bg); }
  fieldset { margin: 0; padding: 0; border: 0; }
  legend { padding: 0; margin-bottom: 8px; font-weight: 650; }
  .stars { display: flex; gap: 4px; }
  .star { position: relative; display: grid; place-items: center; width: 44px; height: 44px; border-radius: 10px; color: #9ca3af; cursor: pointer; }
  .star input { position: absolute; opacity: 0; width: 100%; height: 100%; margin: 0; cursor: pointer; }
  .star svg { width: 30px; height: 30px; }
  .star.on { color: #f59e0b; } .star.on svg { fill: currentColor; }
  .star:hover { background: var(--fd-soft); }
  .star:focus-within { outline: 3px solid var(--fd-accent); outline-offset: 1px; }
  .csat-error { min-height: 1em; margin: 8px 0; font-size: 13px; color: #b91c1c; }
  .csat-buttons { display: flex; gap: 8px; align-items: center; }
  .primary { padding: 9px 16px; border: 0; border-radius: 10px; background: var(--fd-accent); color: var(--fd-on-accent); font-weight: 650; }
  .primary:disabled { opacity: .6; cursor: progress; }
  .csat .text-button { color: var(--fd-text); }
  .thanks { margin: 0 0 12px; font-weight: 650; }

  @media (max-width: 480px) {
    .fd { bottom: 12px; } .fd.right { right: 12px; } .fd.left { left: 12px; }
    .open .panel { position: fixed; inset: 0; width: auto; height: auto; border-radius: 0; }
    .open .launcher { display: none; }
  }`;

  // ---------------------------------------------------------------- storage (shared by tabs)

  const keyPrefix = `frontdesk:${serverUrl.origin}${serverPath}:`;
  const memory = new Map();
  const storage = {
    get(key, session) {
      try {
        return (session ? sessionStorage : localStorage).getItem(keyPrefix + key);
      } catch {
        return memory.get(key) ?? null;
      }
    },
    set(key, value, session) {
      try {
        (session ? sessionStorage : localStorage).setItem(keyPrefix + key, value);
      } catch {
        memory.set(key, value);
      }
    },
    remove(key, session) {
      try {
        (session ? sessionStorage : localStorage).removeItem(keyPrefix + key);
      } catch {
        memory.delete(key);
      }
    },
    json(key, fallback) {
      try {
        return JSON.parse(this.get(key)) ?? fallback;
      } catch {
        return fallback;
      }
    },
  };
  /** Messages typed but not yet acknowledged by the server: [{ clientId, text, createdAt }]. */
  const outbox = {
    all: () => storage.json('outbox', []).filter((item) => item && typeof item.clientId === 'string'),
    save: (items) => (items.length ? storage.set('outbox', JSON.stringify(items)) : storage.remove('outbox')),
    add(item) {
      this.save([...this.all(), item]);
    },
    remove(clientId) {
      this.save(this.all().filter((item) => item.clientId !== clientId));
    },
  };

  // ---------------------------------------------------------------- the shadow DOM

  const host = document.createElement('frontdesk-widget');
  const root = host.attachShadow({ mode: 'open' });
  host.style.setProperty('--fd-accent', accent);
  setStyles(root, STYLES);

  const ICONS = {
    chat: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.5 4v-4h0A1.5 1.5 0 0 1 4 14.5z"/></svg>',
    close: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    send: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M4 12l16-8-5 16-3-7z M12 13l8-9"/></svg>',
    up: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d="M7 11v9H4v-9zM7 11l4-8c1.7 0 2.7 1.2 2.3 3L12.6 10H19a2 2 0 0 1 2 2.3l-1.2 6A2 2 0 0 1 17.8 20H7"/></svg>',
    person: '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.4 3.6-7 8-7s8 2.6 8 7"/></svg>',
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
          <form class="composer" novalidate>
            <label class="sr-only" for="fd-input"></label>
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

  const $ = (selector) => root.querySelector(selector);
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
    composer: $('.composer'),
    input: $('#fd-input'),
    send: $('.send'),
    csat: $('.csat'),
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
  ui.typing.querySelector('.sr-only').textContent = t.typing(t.bot);
  ui.human.querySelector('span').textContent = t.human;
  $('label[for="fd-input"]').textContent = t.inputLabel;
  ui.input.placeholder = t.placeholder;
  ui.send.setAttribute('aria-label', t.send);
  ui.send.title = t.send;
  $('.csat legend').textContent = t.rateLegend;
  $('.submit-rating').textContent = t.submitRating;
  $('.csat .back').textContent = t.backToChat;
  $('.thanks').textContent = t.ratingThanks;
  $('.new-chat').textContent = t.newChat;
  for (let score = 1; score <= 5; score++) {
    const label = html(`<label class="star">
      <input type="radio" name="score" value="${score}"><span class="sr-only"></span>${ICONS.star}</label>`).firstElementChild;
    label.querySelector('.sr-only').textContent = t.stars(score);
    ui.stars.appendChild(label);
  }
  setContrast();

  // ---------------------------------------------------------------- state

  let socket = null;
  let conversationId = null;
  /** The visitor's latest resolved conversation, shown read-only above the current one. */
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
  let currentState = 'idle';
  /** Acknowledged visitor messages still waiting for their reply: the typing indicator. */
  const awaiting = new Set();
  const feedbackGiven = storage.json('feedback', {});

  // ---------------------------------------------------------------- connection

  function connect() {
    if (socket) {
      if (!socket.connected && !socket.active) socket.connect();
      return;
    }
    setStatus('connecting');
    loadClient()
      .then((client) => {
        socket = client(`${serverUrl.origin}/chat`, {
          path: `${serverPath}/socket.io/`,
          // Read at every (re)connection, so a token issued in another tab or after INVALID_TOKEN is used.
          auth: (callback) => {
            const token = storage.get('token');
            callback({ ...(token ? { visitorToken: token } : {}), ...(language ? { language } : {}), ...visitorContext() });
          },
          reconnectionDelay: 1000,
          reconnectionDelayMax: 10000,
        });
        socket.on('session', onSession);
        socket.on('reply', onReply);
        socket.on('status', onStatus);
        socket.on('connect_error', onConnectError);
        socket.on('disconnect', onDisconnect);
        socket.on('protocol_error', (error) => console.warn('[frontdesk]', error));
      })
      .catch(() => setStatus('unreachable'));
  }

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

  function onConnectError(error) {
    connected = false;
    const code = (error && error.data && error.data.code) || (error && error.message);
    if (code === 'INVALID_TOKEN' && storage.get('token')) {
      // Forged, expired or from another deployment: start afresh as a new visitor.
      storage.remove('token');
      storage.remove('conversation');
      clearMessages();
      conversationId = null;
      socket.connect();
      return;
    }
    setStatus('unreachable');
    if (!socket.active) retryLater(); // refused by the server's middleware: Socket.IO does not retry those itself
  }

  function onDisconnect(reason) {
    connected = false;
    for (const state of ui.list.querySelectorAll('li.pending .state')) state.textContent = t.queued;
    setStatus(navigator.onLine === false ? 'offline' : 'reconnecting');
    // The server closed us (a restart): come back after a pause. Socket.IO retries transport losses itself.
    if (!socket.active && reason !== 'io client disconnect') retryLater();
  }

  function retryLater() {
    clearTimeout(retryTimer);
    const delay = Math.min(30000, 1000 * 2 ** Math.min(failures++, 5)) * (0.75 + Math.random() / 2);
    retryTimer = setTimeout(() => socket && !socket.connected && socket.connect(), delay);
  }

  function loadClient() {
    if (typeof io === 'function') return Promise.resolve(io);
    if (window.io) return Promise.resolve(window.io);
    return new Promise((resolve, reject) => {
      const tag = document.createElement('script');
      tag.src = `${serverUrl.origin}${serverPath}/socket.io/socket.io.min.js`;
      tag.onload = () => (window.io ? resolve(window.io) : reject(new Error('no Socket.IO client')));
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
  }

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
    const known = new Set(response.messages.map((message) => message.messageId));
    for (const item of ui.list.querySelectorAll('li[data-message-id]')) {
      if (!known.has(item.dataset.messageId)) item.remove(); // not of this conversation
    }
    // In the server's order (a message typed in another tab goes above its answer), unsent ones last.
    let previous = null;
    let lastRole = null;
    let lastAnswer = null;
    for (const message of response.messages) {
      const element = upsertMessage(message);
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
  }

  let historyTimer = 0;
  function refreshHistorySoon() {
    clearTimeout(historyTimer);
    historyTimer = setTimeout(loadHistory, 150);
  }

  /** The visitor's resolved conversation, read-only above a divider. */
  async function loadPrevious() {
    const forConversation = previousConversationId;
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

  /** What agents did to the conversation, as a notice in the log. */
  function onStatus(event) {
    if (!event || event.conversationId !== conversationId) return;
    const text =
      event.status === 'agent' ? t.joined((event.agent && event.agent.name) || t.agent)
      : event.status === 'waiting_for_agent' ? t.waiting
      : event.status === 'bot' ? t.backToBot
      : event.status === 'resolved' ? t.resolved
      : null;
    if (!text) return;
    const notice = html(`<li class="notice"></li>`).firstElementChild;
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
        if (['RATE_LIMITED', 'DATABASE_UNAVAILABLE', 'SHUTTING_DOWN', 'INTERNAL'].includes(code)) {
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

  function renderPending(item) {
    let element = ui.list.querySelector(`li[data-client-id="${cssEscape(item.clientId)}"]`);
    if (element && !element.dataset.messageId) {
      ui.list.appendChild(element); // keep unsent messages last
      return;
    }
    if (element) return;
    element = createMessage({ role: 'visitor', text: item.text, createdAt: item.createdAt });
    element.dataset.clientId = item.clientId;
    element.classList.add('pending');
    element.querySelector('.state').textContent = connected ? t.sending : t.queued;
    ui.list.appendChild(element);
  }

  function markSent(clientId, ack) {
    const element = ui.list.querySelector(`li[data-client-id="${cssEscape(clientId)}"]`);
    if (!element) return;
    if (messageElement(ack.messageId)) {
      element.remove(); // already shown (e.g. from history)
      return;
    }
    element.dataset.messageId = ack.messageId;
    element.classList.remove('pending');
    element.querySelector('.state').textContent = '';
  }

  function markFailed(clientId, reason) {
    const element = ui.list.querySelector(`li[data-client-id="${cssEscape(clientId)}"]`);
    if (!element) return;
    element.classList.remove('pending');
    element.classList.add('failed');
    element.querySelector('.state').textContent = `${t.notSent}: ${reason}`;
  }

  function upsertMessage(message) {
    const existing = messageElement(message.messageId);
    if (existing) return existing;
    const element = createMessage(message);
    element.dataset.messageId = message.messageId;
    // Stored messages go before the ones still being sent.
    ui.list.insertBefore(element, ui.list.querySelector('li.pending, li.failed'));
    return element;
  }

  /** `readOnly`: a message of the previous conversation, without feedback or suggestion buttons. */
  function createMessage(message, { readOnly = false } = {}) {
    const role = message.role === 'agent' ? 'agent' : message.role === 'visitor' ? 'visitor' : 'bot';
    const element = html(`<li class="message ${role}">
      <span class="sr-only who"></span>
      <div class="bubble"></div>
      <div class="meta"><time></time> <span class="state"></span></div>
    </li>`).firstElementChild;
    const agentName = message.agent && message.agent.name;
    element.querySelector('.who').textContent = `${role === 'visitor' ? t.you : role === 'agent' ? agentName || t.agent : t.bot}: `;
    if (role === 'agent') element.querySelector('.who').className = 'author who'; // agents are named visibly
    element.querySelector('.bubble').textContent = message.text;
    const time = element.querySelector('time');
    const date = new Date(message.createdAt || Date.now());
    if (!Number.isNaN(date.getTime())) {
      time.dateTime = date.toISOString();
      time.textContent = date.toLocaleTimeString(language || undefined, { hour: 'numeric', minute: '2-digit' });
    }
    if (role !== 'visitor' && message.messageId && !readOnly) {
      if (message.source) element.dataset.source = message.source;
      if (Array.isArray(message.suggestions) && message.suggestions.length) element.insertBefore(suggestionButtons(message.suggestions), element.querySelector('.meta'));
      element.querySelector('.meta').appendChild(feedbackButtons(message.messageId));
    }
    return element;
  }

  function suggestionButtons(suggestions) {
    const group = html(`<div class="suggestions" role="group"></div>`).firstElementChild;
    group.setAttribute('aria-label', t.suggestions);
    for (const suggestion of suggestions.slice(0, 6)) {
      const button = html(`<button class="chip" type="button"></button>`).firstElementChild;
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

  function feedbackButtons(messageId) {
    const group = html(`<div class="feedback" role="group">
      <button class="thumb up" type="button" aria-pressed="false">${ICONS.up}</button>
      <button class="thumb down" type="button" aria-pressed="false">${ICONS.up}</button>
      <span class="feedback-note" aria-live="polite"></span>
    </div>`).firstElementChild;
    group.setAttribute('aria-label', `${t.helpful}?`);
    const up = group.querySelector('.up');
    const down = group.querySelector('.down');
    const note = group.querySelector('.feedback-note');
    up.setAttribute('aria-label', t.helpful);
    up.title = t.helpful;
    down.setAttribute('aria-label', t.notHelpful);
    down.title = t.notHelpful;
    const show = (rating) => {
      up.setAttribute('aria-pressed', String(rating === 'up'));
      down.setAttribute('aria-pressed', String(rating === 'down'));
    };
    show(feedbackGiven[messageId]);
    const rate = async (rating) => {
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

  function messageElement(messageId) {
    return messageId ? ui.list.querySelector(`li[data-message-id="${cssEscape(messageId)}"]`) : null;
  }

  function replyExists(messageId) {
    const element = messageElement(messageId);
    return Boolean(element && element.nextElementSibling && element.nextElementSibling.matches('.bot, .agent'));
  }

  // ---------------------------------------------------------------- typing indicator and status

  function startTyping() {
    ui.typing.hidden = false;
    clearTimeout(typingTimer);
    // Replies normally take milliseconds; never leave the dots on for ever if one is lost.
    typingTimer = setTimeout(() => {
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

  function setHumanMode(value) {
    humanMode = value;
    ui.human.hidden = value;
    ui.wrapper.dataset.mode = value ? 'human' : 'bot';
    if (value) awaiting.clear();
    setStatus(currentState);
  }

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
    (view === 'csat' ? ui.csat.querySelector('input') : view === 'done' ? $('.thanks') : ui.input).focus();
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
    (ui.csat.querySelector('input:checked') || ui.csat.querySelector('input')).focus();
  }

  async function submitRating(event) {
    event.preventDefault();
    const checked = ui.csat.querySelector('input[name="score"]:checked');
    if (!checked) {
      ui.csatError.textContent = t.pickScore;
      return;
    }
    const submit = ui.csat.querySelector('.submit-rating');
    submit.disabled = true;
    ui.csatError.textContent = '';
    let ack;
    try {
      ack = await request('csat', { score: Number(checked.value), ...(conversationId ? { conversationId } : {}) });
    } catch {
      ack = { ok: false, error: { message: connected ? '' : t.offline } };
    } finally {
      submit.disabled = false;
    }
    if (ack && ack.ok) {
      showView('done');
      $('.thanks').focus();
    } else {
      const detail = errorText(ack && ack.error);
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

  function paintStars() {
    const checked = ui.csat.querySelector('input:checked');
    const score = checked ? Number(checked.value) : 0;
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
    send(text);
  });
  ui.input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    }
  });
  ui.input.addEventListener('input', autosize);
  ui.panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      close();
    }
  });
  ui.csat.addEventListener('submit', submitRating);
  ui.csat.addEventListener('change', paintStars);
  ui.csat.querySelector('.back').addEventListener('click', () => {
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
    const [r, g, b] = (getComputedStyle(probe).color.match(/[\d.]+/g) || ['37', '99', '235']).map(Number);
    probe.remove();
    const channel = (value) => {
      const v = value / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    const luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    host.style.setProperty('--fd-on-accent', luminance > 0.4 ? '#111827' : '#ffffff');
  }

  // ---------------------------------------------------------------- helpers

  function html(markup) {
    const template = document.createElement('template');
    template.innerHTML = markup.trim();
    return template.content;
  }

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

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : String(value).replace(/["\\]/g, '\\$&');
  }

  /** The visitor's-language text for an error: by its code, else the message given (offline notes are already translated). */
  function errorText(error) {
    if (!error) return '';
    return (error.code && t.errors[error.code]) || error.message || '';
  }

  function normalizeLanguage(value) {
    const match = /^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{2,4}))?/.exec(String(value || '').trim());
    return match ? match[1].toLowerCase() + (match[2] ? `-${match[2]}` : '') : undefined;
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

  window.FrontdeskWidget = Object.freeze({ open: () => open(), close: () => close(), toggle: () => (ui.panel.hidden ? open() : close()) });
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start, { once: true });
})();
