import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate } from '../../src/catalogue/templates.ts';
import { isSafeHref, renderRichText, richField, RICH_TAGS, type RichNode } from '../../src/protocol/rich-text.ts';

const p = (...children: RichNode[]): RichNode => ({ tag: 'p', children });

/** Every element of a tree, depth first. */
function elements(nodes: RichNode[]): Array<Exclude<RichNode, string>> {
  return nodes.flatMap((node) => (typeof node === 'string' ? [] : [node, ...elements(node.children)]));
}
/** The text a client draws, elements dropped. */
const textOf = (nodes: RichNode[]): string => nodes.map((node) => (typeof node === 'string' ? node : textOf(node.children))).join('');

test('bold, italics, lists and links become the allowlisted elements', () => {
  assert.deepEqual(renderRichText('**Free** returns within *30 days*:\n\n- print the label\n- drop it off\n\nSee [returns](https://shop.example/returns) or [your orders](/account/orders).'), [
    p({ tag: 'strong', children: ['Free'] }, ' returns within ', { tag: 'em', children: ['30 days'] }, ':'),
    { tag: 'ul', children: [{ tag: 'li', children: ['print the label'] }, { tag: 'li', children: ['drop it off'] }] },
    p('See ', { tag: 'a', href: 'https://shop.example/returns', children: ['returns'] }, ' or ', { tag: 'a', href: '/account/orders', children: ['your orders'] }, '.'),
  ]);
});

test('an ordered list keeps its first number; line breaks are kept; a heading is a bold line', () => {
  assert.deepEqual(renderRichText('3. three\n4. four'), [{ tag: 'ol', start: 3, children: [{ tag: 'li', children: ['three'] }, { tag: 'li', children: ['four'] }] }]);
  assert.deepEqual(renderRichText('1. one'), [{ tag: 'ol', children: [{ tag: 'li', children: ['one'] }] }]);
  assert.deepEqual(renderRichText('Hello\nAnna'), [p('Hello', { tag: 'br', children: [] }, 'Anna')]);
  assert.deepEqual(renderRichText('## Opening hours\nMon–Fri'), [p({ tag: 'strong', children: ['Opening hours'] }), p('Mon–Fri')]);
});

test('a text without formatting has no rich form: clients show the text', () => {
  assert.equal(renderRichText('Your order 48213 ships today.'), undefined);
  assert.equal(renderRichText(''), undefined);
  // An escape is formatting: the backslash is not drawn.
  assert.deepEqual(renderRichText('2 \\* 3'), [p('2 * 3')]);
});

test('hostile Markdown stays the characters that were typed', () => {
  const hostile = [
    '<script>window.pwned = 1</script>',
    '<img src=x onerror="window.pwned = 1">',
    '&lt;script&gt;alert(1)&lt;/script&gt; &#106;avascript: &amp;',
    '[click](javascript:alert(1))',
    '[click](JaVaScRiPt:alert(1))',
    '[click](data:text/html;base64,PHNjcmlwdD4=)',
    '[click](vbscript:msgbox)',
    '[other site](//evil.example/x)',
    '[mail](mailto:a@example.com)',
    '<javascript:alert(1)>',
    '![tracker](https://evil.example/pixel.png)',
    '![x](javascript:alert(1))',
    '| a | b |\n| --- | --- |\n| 1 | 2 |',
    '```\ncode\n```',
    '> quoted',
    '---',
    'https://bare.example/link',
  ];
  for (const markdown of hostile) {
    // Line breaks are elements; nothing else is.
    const rendered = renderRichText(markdown) ?? [p(markdown)];
    assert.deepEqual(elements(rendered).filter((element) => element.tag !== 'p' && element.tag !== 'br'), [], markdown);
    assert.equal(textOf(rendered), markdown.replaceAll('\n', ''), markdown);
  }
});

test('nested and unbalanced emphasis nests properly or stays text', () => {
  assert.deepEqual(renderRichText('***both* bold** **open'), [p({ tag: 'strong', children: [{ tag: 'em', children: ['both'] }, ' bold'] }, ' **open')]);
  // Crossing delimiters pair up as CommonMark says: always a well-formed tree.
  assert.deepEqual(renderRichText('*a **b* c**'), [p({ tag: 'em', children: ['a ', { tag: 'em', children: [{ tag: 'em', children: ['b'] }, ' c'] }] })]);
  assert.equal(renderRichText('_a_b **'), undefined);
  // Deeper than markdown-it's nesting limit: the rest is text, the tree stays shallow.
  const deep = renderRichText(`${'- '.repeat(60)}x`)!;
  const depth = (nodes: RichNode[]): number => Math.max(0, ...nodes.map((node) => (typeof node === 'string' ? 0 : 1 + depth(node.children))));
  assert.ok(depth(deep) <= 21, `depth ${depth(deep)}`);
});

test('only allowlisted elements, and links only to http(s) or same-site paths', () => {
  const rendered = renderRichText('**a** *b* [c](https://x.example) [d](/e)\n\n- f\n1. g\n\n# h\n\n![i](https://x.example/i.png) [j](ftp://x.example)')!;
  const allowed = new Set<string>(RICH_TAGS);
  for (const element of elements(rendered)) {
    assert.ok(allowed.has(element.tag), element.tag);
    if (element.tag === 'a') assert.ok(isSafeHref(element.href!), element.href);
    else assert.equal(element.href, undefined);
  }
  assert.ok(textOf(rendered).includes('![i](https://x.example/i.png)'));
  assert.ok(textOf(rendered).includes('[j](ftp://x.example)'));
});

test('isSafeHref: http(s) with a host and same-site paths only', () => {
  for (const href of ['https://shop.example/a?b=c#d', 'http://shop.example', '/account/orders', '/']) assert.ok(isSafeHref(href), href);
  for (const href of ['javascript:alert(1)', 'data:text/html,x', '//evil.example', '/\\evil.example', 'https:/evil', 'https://', 'mailto:a@b.c', 'orders', '#top', ' https://x.example', 'https://x.example/a b', 'https://x.example/\n']) {
    assert.ok(!isSafeHref(href), href);
  }
});

test("richField: the bot's and agents' messages, never a visitor's", () => {
  assert.deepEqual(richField({ role: 'agent', text: '**Hi**' }), { rich: [p({ tag: 'strong', children: ['Hi'] })] });
  assert.deepEqual(richField({ role: 'bot', text: '**Hi**' }), { rich: [p({ tag: 'strong', children: ['Hi'] })] });
  assert.deepEqual(richField({ role: 'visitor', text: '**Hi** [x](https://x.example)' }), {});
  assert.deepEqual(richField({ role: 'bot', text: 'plain' }), {});
});

test('values filled into an answer template stay text: a visitor cannot format or link through a slot', () => {
  for (const value of ['[win](https://evil.example)', '**loud** _quiet_', '<https://evil.example>', '![x](https://evil.example/x.png)', '1. one\n- two\n## three', 'a\\*b', 'first_last@example.com']) {
    const answer = renderTemplate('Send it to {{address}}?', { address: value });
    assert.deepEqual(renderRichText(answer) ?? [p(answer)], [p(...`Send it to ${value}?`.split('\n').flatMap((line, index) => (index === 0 ? [line] : [{ tag: 'br', children: [] } as RichNode, line])))], value);
  }
  // Nothing to escape: the text is unchanged (totals, order numbers, dates).
  assert.equal(renderTemplate('{{total}} {{order}} {{date}}', { total: '49.99', order: 'NW-2024-0042', date: '-5' }), '49.99 NW-2024-0042 -5');
});
