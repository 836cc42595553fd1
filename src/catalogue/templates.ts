// Answer templates of intents with an action: logic-less Mustache, filled with slots and the
// action's returned variables. Never HTML, so values are not HTML-escaped; but answers are Markdown
// (src/protocol/rich-text.ts), so a value's Markdown characters are escaped: what a visitor typed
// (an address, a name) or a shop returned is shown as text, never as a link or emphasis.
import Mustache from 'mustache';

/** The names a template reads (`{{carrier}}`, sections `{{#carrier}}…{{/carrier}}`), or why it cannot be read. */
export function templatePlaceholders(template: string): { names: string[] } | { error: string } {
  let spans: Mustache.TemplateSpans;
  try {
    spans = Mustache.parse(template);
  } catch (error) {
    return { error: `invalid template: ${(error as Error).message}` };
  }
  const names = new Set<string>();
  const visit = (tokens: Mustache.TemplateSpans): string | null => {
    for (const [type, value, , , children] of tokens) {
      if (type === '>') return `partials ({{> ${value}}}) are not supported`;
      if (type === '=') return 'changing the delimiters is not supported';
      if (type === 'name' || type === '&' || type === '#' || type === '^') names.add(value);
      if (Array.isArray(children)) {
        const problem = visit(children);
        if (problem) return problem;
      }
    }
    return null;
  };
  const problem = visit(spans);
  return problem ? { error: problem } : { names: [...names] };
}

export type TemplateVariables = Readonly<Record<string, string | number | boolean | null>>;

/** Renders a template (values Markdown-escaped); a variable without a value renders as nothing. */
export function renderTemplate(template: string, variables: Readonly<Record<string, unknown>>): string {
  return Mustache.render(template, variables, {}, { escape: escapeMarkdown });
}

/**
 * A value as literal Markdown text: a backslash before every character that can start emphasis, a
 * link, an image or an autolink, and before a list or heading marker that begins a line of it.
 */
export function escapeMarkdown(value: unknown): string {
  return String(value)
    .replace(/[\\*_[\]<]/g, '\\$&')
    .replace(/^(\s*)([-+]|#{1,6}|\d+[.)])(?=\s|$)/gm, (_line, indent: string, marker: string) => `${indent}${marker.slice(0, -1)}\\${marker.slice(-1)}`);
}
