// @ts-check
// The chat widget's own texts, by language (`data-language`, docs/widget.md). src/gateway/static.ts puts
// this file into /widget.js ahead of widget.js, in the same function scope. English is the reference:
// every other language has the same keys.

/** @typedef {import('../../src/protocol/errors.ts').ErrorCode} ErrorCode */

const WIDGET_TEXTS_EN = {
  title: 'Chat with us', open: 'Open chat', close: 'Close chat', newMessages: (/** @type {number} */ n) => `${n} new`,
  conversation: 'Conversation', you: 'You', bot: 'Assistant', agent: 'Support agent',
  inputLabel: 'Type your message', placeholder: 'Type your message…', send: 'Send',
  typing: (/** @type {string} */ t) => `${t} is typing…`, connecting: 'Connecting…', online: 'We reply instantly',
  reconnecting: 'Reconnecting…', offline: 'You are offline', unreachable: 'Cannot connect to the chat service',
  sending: 'Sending…', queued: 'Will be sent when you are back online', notSent: 'Not sent', retry: 'Retry', helpful: 'Helpful', notHelpful: 'Not helpful',
  feedbackThanks: 'Thanks for your feedback', feedbackFailed: 'Feedback not saved', suggestions: 'Did you mean:',
  human: 'Talk to a person', end: 'End chat',
  rateLegend: 'How would you rate this chat?', stars: (/** @type {number} */ n) => `${n} of 5`, submitRating: 'Send rating',
  backToChat: 'Back to chat', ratingThanks: 'Thank you for your rating!', newChat: 'Start a new chat',
  ratingFailed: 'Your rating could not be saved', pickScore: 'Choose a rating from 1 to 5 first.',
  greeting: 'Hi! How can we help you today?', humanMode: 'A member of our team will reply here',
  joined: (/** @type {string} */ name) => `${name} joined the conversation`, waiting: 'Waiting for a member of our team', backToBot: 'You are chatting with our assistant again', resolved: 'The conversation was resolved',
  // Keyed by the server's stable error codes; the server's own message is English.
  /** @type {Partial<Record<ErrorCode, string>>} */
  errors: { ATTACHMENT_TOO_LARGE: 'The file is too large to send.', ATTACHMENT_TYPE_REFUSED: 'Only images (PNG, JPEG, GIF, WebP) and PDF files can be sent.', TEXT_EMPTY: 'The message is empty.', TEXT_TOO_LONG: 'The message is too long.', INVALID_PAYLOAD: 'The message could not be read.', RATE_LIMITED: 'Too many messages; please wait a moment.', UNKNOWN_CONVERSATION: 'This conversation no longer exists.', UNKNOWN_MESSAGE: 'That message no longer exists.', INVALID_TOKEN: 'Your chat session expired.', DATABASE_UNAVAILABLE: 'The chat is temporarily unavailable.', SHUTTING_DOWN: 'The chat is restarting; please try again.', INTERNAL: 'Something went wrong on our side.' },
  attach: 'Send an image or a PDF', attachFirst: 'Write a message first, then send files.',
};

/** @typedef {typeof WIDGET_TEXTS_EN} WidgetTexts */

/** @type {Readonly<Record<string, WidgetTexts>>} */
const WIDGET_TEXTS = {
  en: WIDGET_TEXTS_EN,
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
    errors: { ATTACHMENT_TOO_LARGE: 'Die Datei ist zu groß zum Senden.', ATTACHMENT_TYPE_REFUSED: 'Nur Bilder (PNG, JPEG, GIF, WebP) und PDF-Dateien können gesendet werden.', TEXT_EMPTY: 'Die Nachricht ist leer.', TEXT_TOO_LONG: 'Die Nachricht ist zu lang.', INVALID_PAYLOAD: 'Die Nachricht konnte nicht gelesen werden.', RATE_LIMITED: 'Zu viele Nachrichten, bitte einen Moment warten.', UNKNOWN_CONVERSATION: 'Diese Unterhaltung gibt es nicht mehr.', UNKNOWN_MESSAGE: 'Diese Nachricht gibt es nicht mehr.', INVALID_TOKEN: 'Ihre Chat-Sitzung ist abgelaufen.', DATABASE_UNAVAILABLE: 'Der Chat ist vorübergehend nicht verfügbar.', SHUTTING_DOWN: 'Der Chat startet neu, bitte erneut versuchen.', INTERNAL: 'Bei uns ist etwas schiefgelaufen.' },
    attach: 'Bild oder PDF senden', attachFirst: 'Schreiben Sie zuerst eine Nachricht, dann können Sie Dateien senden.',
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
    errors: { ATTACHMENT_TOO_LARGE: 'Le fichier est trop volumineux.', ATTACHMENT_TYPE_REFUSED: 'Seules les images (PNG, JPEG, GIF, WebP) et les PDF peuvent être envoyés.', TEXT_EMPTY: 'Le message est vide.', TEXT_TOO_LONG: 'Le message est trop long.', INVALID_PAYLOAD: 'Le message n’a pas pu être lu.', RATE_LIMITED: 'Trop de messages, patientez un instant.', UNKNOWN_CONVERSATION: 'Cette conversation n’existe plus.', UNKNOWN_MESSAGE: 'Ce message n’existe plus.', INVALID_TOKEN: 'Votre session de chat a expiré.', DATABASE_UNAVAILABLE: 'Le chat est momentanément indisponible.', SHUTTING_DOWN: 'Le chat redémarre, réessayez.', INTERNAL: 'Une erreur est survenue de notre côté.' },
    attach: 'Envoyer une image ou un PDF', attachFirst: 'Écrivez d’abord un message, puis envoyez des fichiers.',
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
    errors: { ATTACHMENT_TOO_LARGE: 'El archivo es demasiado grande.', ATTACHMENT_TYPE_REFUSED: 'Solo se pueden enviar imágenes (PNG, JPEG, GIF, WebP) y archivos PDF.', TEXT_EMPTY: 'El mensaje está vacío.', TEXT_TOO_LONG: 'El mensaje es demasiado largo.', INVALID_PAYLOAD: 'No se pudo leer el mensaje.', RATE_LIMITED: 'Demasiados mensajes; espera un momento.', UNKNOWN_CONVERSATION: 'Esta conversación ya no existe.', UNKNOWN_MESSAGE: 'Ese mensaje ya no existe.', INVALID_TOKEN: 'Tu sesión de chat ha caducado.', DATABASE_UNAVAILABLE: 'El chat no está disponible en este momento.', SHUTTING_DOWN: 'El chat se está reiniciando; inténtalo de nuevo.', INTERNAL: 'Algo ha fallado por nuestra parte.' },
    attach: 'Enviar una imagen o un PDF', attachFirst: 'Escribe primero un mensaje y luego envía archivos.',
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
    errors: { ATTACHMENT_TOO_LARGE: '文件太大，无法发送。', ATTACHMENT_TYPE_REFUSED: '只能发送图片（PNG、JPEG、GIF、WebP）和 PDF 文件。', TEXT_EMPTY: '消息为空。', TEXT_TOO_LONG: '消息太长了。', INVALID_PAYLOAD: '无法读取该消息。', RATE_LIMITED: '消息发送过于频繁，请稍候。', UNKNOWN_CONVERSATION: '该对话已不存在。', UNKNOWN_MESSAGE: '该消息已不存在。', INVALID_TOKEN: '聊天会话已过期。', DATABASE_UNAVAILABLE: '聊天服务暂时不可用。', SHUTTING_DOWN: '聊天服务正在重启，请重试。', INTERNAL: '我们这边出了点问题。' },
    attach: '发送图片或 PDF', attachFirst: '请先发送一条消息，再发送文件。',
  },
};
