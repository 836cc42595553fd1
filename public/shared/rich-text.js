// @ts-check
/*
 * Draws a message's `rich` form (src/protocol/rich-text.ts) with createElement and text nodes,
 * never HTML. Shared by the widget (src/gateway/static.ts puts it into /widget.js's scope) and the
 * console (/shared/rich-text.js). The server sends only allowlisted elements and safe links; this
 * checks both again, so a bug or a forged event there still cannot draw anything else.
 */

/** @typedef {import('../../src/protocol/rich-text.ts').RichNode} RichNode */

const RICH_TAGS = ['p', 'strong', 'em', 'ul', 'ol', 'li', 'a', 'br'];
// http(s) with a host, or a same-site path (not `//host` or `/\host`); no spaces or control characters.
const RICH_SAFE_HREF = /^(?:https?:\/\/[^/\\\s]|\/(?![/\\]))[^\s\u0000-\u001f\u007f]*$/i;

/**
 * The message's content: its rich form when it has one, else its text (a visitor's message always).
 * @param {{ text: string, rich?: RichNode[] }} message
 * @returns {Node}
 */
function messageContent(message) {
  return Array.isArray(message.rich) ? richFragment(message.rich) : document.createTextNode(message.text);
}

/** @param {RichNode[]} nodes */
function richFragment(nodes) {
  const fragment = document.createDocumentFragment();
  for (const node of nodes) fragment.appendChild(richNode(node));
  return fragment;
}

/**
 * An element the allowlist does not know, or a link to anywhere else, draws only its text.
 * @param {RichNode} node
 * @returns {Node}
 */
function richNode(node) {
  if (typeof node === 'string') return document.createTextNode(node);
  const children = richFragment(Array.isArray(node.children) ? node.children : []);
  if (!RICH_TAGS.includes(node.tag) || (node.tag === 'a' && !(typeof node.href === 'string' && RICH_SAFE_HREF.test(node.href)))) return children;
  const element = document.createElement(node.tag);
  if (element instanceof HTMLAnchorElement) {
    element.href = /** @type {string} */ (node.href);
    element.target = '_blank';
    element.rel = 'noopener noreferrer nofollow';
  }
  if (element instanceof HTMLOListElement && Number.isSafeInteger(node.start)) element.start = /** @type {number} */ (node.start);
  element.appendChild(children);
  return element;
}
