// The Markdown subset of answers, knowledge and agents' replies, as a small tree the widget and the
// console draw with createElement and textContent (public/shared/rich-text.js): never HTML, so nothing is
// left for a browser to parse and no sanitiser has to be trusted with the result.
//
// markdown-it starts from its "zero" preset (paragraphs and text only) with raw HTML off, and only
// emphasis, lists, links, line breaks and escapes are switched on. Everything else (raw HTML,
// entities, code, quotes, tables, rules) is never parsed and stays the characters that were typed.
// Images are parsed so that they can be turned back into their text; headings become bold lines.
import MarkdownIt, { type Token } from 'markdown-it';

/** The elements a rich text may contain; clients draw nothing else. */
export const RICH_TAGS = ['p', 'strong', 'em', 'ul', 'ol', 'li', 'a', 'br'] as const;
export type RichTag = (typeof RICH_TAGS)[number];

/** Text, or an allowlisted element: `href` on `a` (http(s) or a same-site path), `start` on an `ol` that does not start at 1. */
export type RichNode = string | RichElement;
export interface RichElement {
  tag: RichTag;
  children: RichNode[];
  href?: string;
  start?: number;
}

// http(s) with a host, or a path on the same site: `//host` and `/\host` are other sites to a browser.
const SAFE_HREF = /^(?:https?:\/\/[^/\\\s]|\/(?![/\\]))/i;

/** Whether a link target may be drawn as a link: http(s) URLs and same-site paths, nothing else. */
export function isSafeHref(href: string): boolean {
  return SAFE_HREF.test(href) && !/[\s\p{Cc}]/u.test(href);
}

const markdown = new MarkdownIt('zero', { html: false, linkify: false, breaks: true })
  .enable(['list', 'heading'])
  .enable(['emphasis', 'link', 'autolink', 'image', 'newline', 'escape']);
// Called with the normalised (percent-encoded) target; a refused link stays the text that was typed.
markdown.validateLink = isSafeHref;

/**
 * The rich form of a text written in the Markdown subset, or `undefined` when it has no formatting
 * (one paragraph of exactly the text): clients then show `text` as it is.
 */
export function renderRichText(text: string): RichNode[] | undefined {
  const nodes = blocks(markdown.parse(text, {}));
  const plain = nodes.length === 1 && typeof nodes[0] !== 'string' && nodes[0]!.tag === 'p' && nodes[0]!.children.length === 1 && nodes[0]!.children[0] === text;
  return plain || nodes.length === 0 ? undefined : nodes;
}

/** The block tokens (paragraphs, lists, headings) as a tree; a paragraph hidden in a tight list item draws only its text. */
function blocks(tokens: Token[]): RichNode[] {
  const root: RichElement = { tag: 'p', children: [] };
  const open: RichElement[] = [root];
  for (const token of tokens) {
    const parent = open[open.length - 1]!;
    if (token.type === 'inline') parent.children.push(...inline(token.children ?? []));
    else if (token.nesting === 1 && !token.hidden) {
      const element = blockElement(token);
      parent.children.push(element);
      open.push(element);
      // A heading is a bold paragraph: its text goes into the `strong`.
      if (token.type === 'heading_open') open.push(element.children[0] as RichElement);
    } else if (token.nesting === -1 && !token.hidden) {
      open.pop();
      if (token.type === 'heading_close') open.pop();
    }
  }
  return root.children;
}

function blockElement(token: Token): RichElement {
  switch (token.type) {
    case 'bullet_list_open':
      return { tag: 'ul', children: [] };
    case 'ordered_list_open': {
      const start = Number(token.attrGet('start') ?? 1);
      return { tag: 'ol', children: [], ...(start !== 1 ? { start } : {}) };
    }
    case 'list_item_open':
      return { tag: 'li', children: [] };
    case 'heading_open':
      return { tag: 'p', children: [{ tag: 'strong', children: [] }] };
    default:
      return { tag: 'p', children: [] };
  }
}

/** The inline tokens: emphasis and links nest, images turn back into their Markdown text. */
function inline(tokens: Token[]): RichNode[] {
  const root: RichElement = { tag: 'p', children: [] };
  const open: RichElement[] = [root];
  const append = (node: RichNode) => {
    if (node === '') return;
    const children = open[open.length - 1]!.children;
    const last = children[children.length - 1];
    // Adjacent text is one string (an escape or a refused image splits it into several tokens).
    if (typeof node === 'string' && typeof last === 'string') children[children.length - 1] = last + node;
    else children.push(node);
  };
  for (const token of tokens) {
    switch (token.type) {
      case 'strong_open':
      case 'em_open':
      case 'link_open': {
        const element: RichElement = token.type === 'link_open' ? { tag: 'a', href: String(token.attrGet('href')), children: [] } : { tag: token.type === 'strong_open' ? 'strong' : 'em', children: [] };
        append(element);
        open.push(element);
        break;
      }
      case 'strong_close':
      case 'em_close':
      case 'link_close':
        open.pop();
        break;
      case 'softbreak':
      case 'hardbreak':
        append({ tag: 'br', children: [] });
        break;
      case 'image':
        append(`![${token.content}](${markdown.normalizeLinkText(String(token.attrGet('src')))})`);
        break;
      default:
        // `text`, and anything a future markdown-it might add: its characters, as text.
        append(token.content);
    }
  }
  return root.children;
}

/**
 * The `rich` field of a message sent to a client: the bot's and agents' messages in the Markdown
 * subset; a visitor's message is never rendered (it stays their plain text), nor a text without formatting.
 */
export function richField(message: { role: string; text: string }): { rich?: RichNode[] } {
  const rich = message.role === 'visitor' ? undefined : renderRichText(message.text);
  return rich ? { rich } : {};
}
