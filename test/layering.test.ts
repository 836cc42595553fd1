// The layering of src/ (.dependency-cruiser.cjs), checked with dependency-cruiser: the rules hold
// for src/, they catch what they are meant to catch, and README's Layout table matches them.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { ICruiseResult } from 'dependency-cruiser';
import { fixtureDir } from './catalogue/helpers.ts';

const CONFIG = '.dependency-cruiser.cjs';
type Part = [name: string, path: string, what: string];
const LAYERS = (createRequire(import.meta.url)(`../${CONFIG}`) as { LAYERS: Part[][] }).LAYERS;

// dependency-cruiser runs in a plain Node process: under tsx, which runs the tests, its swc visitor
// does not load (tsx hands `import()` of a CommonJS module a different default export).
const CLI = resolve('node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruiseSrc(baseDir = '.'): ICruiseResult {
  const { NODE_OPTIONS: _, ...env } = process.env;
  const run = spawnSync(process.execPath, [CLI, 'src', '--config', resolve(CONFIG), '--output-type', 'json'], { cwd: baseDir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.ok(run.stdout.startsWith('{'), `dependency-cruiser ran (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as ICruiseResult;
}

/** Where in `from` the import of `to` is written, as file:line (the first line naming it). */
function importSite(result: ICruiseResult, from: string, to: string, baseDir = '.'): string {
  const specifier = result.modules.find((m) => m.source === from)?.dependencies.find((d) => d.resolved === to)?.module;
  if (specifier === undefined) return from;
  const lines = readFileSync(join(baseDir, from), 'utf8').split('\n');
  const line = lines.findIndex((text) => text.includes(`'${specifier}'`) || text.includes(`"${specifier}"`));
  return line < 0 ? from : `${from}:${line + 1}`;
}

function describeViolations(result: ICruiseResult, baseDir?: string): string[] {
  return (result.summary.violations ?? []).map((v) => {
    const path = v.cycle ? [v.from, ...v.cycle.map((step) => step.name)].join(' → ') : `${importSite(result, v.from, v.to, baseDir)} → ${v.to}`;
    return `${v.rule.name}: ${path}`;
  });
}

describe('layering of src/', () => {
  test('every import in src/ follows the rules of .dependency-cruiser.cjs', async () => {
    const result = cruiseSrc();
    assert.ok(result.modules.length > 50, 'dependency-cruiser found the sources');
    const violations = describeViolations(result);
    if (violations.length > 0) assert.fail(`layering violations (rules in ${CONFIG}):\n  ${violations.join('\n  ')}`);
  });

  test('every file under src/ is in a layer', async () => {
    const result = cruiseSrc();
    const patterns = LAYERS.flat().map(([, path]) => new RegExp(path));
    const outside = result.modules.map((m) => m.source).filter((source) => source.startsWith('src/') && !patterns.some((p) => p.test(source)));
    assert.deepEqual(outside, [], `place these in LAYERS of ${CONFIG}`);
  });

  test('the rules catch cycles, imports pointing up or sideways, and the named exceptions', async () => {
    const fixture = await fixtureDir({
      'src/nlu/w.ts': "import { x } from '../dialogue/x.ts';\nexport const w = x;\n",
      'src/dialogue/x.ts': "import { y } from '../gateway/y.ts';\nexport const x = y;\n",
      'src/gateway/y.ts': "import { z } from '../store/z.ts';\nexport const y = z;\n",
      'src/store/z.ts': "import { w } from '../nlu/w.ts';\nexport const z = w;\n",
      'src/mystery/q.ts': "import { t } from '../../test/t.ts';\nexport const q = t;\n",
      'test/t.ts': 'export const t = 1;\n',
    });
    try {
      const result = cruiseSrc(fixture.dir);
      const violations = describeViolations(result, fixture.dir);
      const rules = new Set((result.summary.violations ?? []).map((v) => v.rule.name));
      for (const rule of ['no-circular', 'layer-nlu', 'layer-store', 'layer-dialogue', 'dialogue-not-transport', 'gateway-only-from-entry', 'gateway-not-store', 'in-a-layer', 'src-not-tests']) {
        assert.ok(rules.has(rule), `${rule} reported, among:\n  ${violations.join('\n  ')}`);
      }
      assert.ok(violations.includes('gateway-not-store: src/gateway/y.ts:1 → src/store/z.ts'), violations.join('\n'));
    } finally {
      await fixture.cleanup();
    }
  });

  test("README's Layout table lists every part in its layer", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Layout'), readme.indexOf('\n## ', readme.indexOf('## Layout') + 1));
    const documented = new Map<string, number>();
    for (const row of section.matchAll(/^\| (\d+) \|([^|]*)\|/gm)) {
      for (const [, path] of row[2]!.matchAll(/`(src\/[^`]*)`/g)) documented.set(path!, Number(row[1]));
    }
    LAYERS.forEach((layer, index) => {
      for (const [name, pattern] of layer) {
        const rows = [...documented].filter(([path]) => new RegExp(pattern).test(path));
        assert.ok(rows.length > 0, `README's Layout table has a row for ${name} (${pattern})`);
        for (const [path, documentedLayer] of rows) assert.equal(documentedLayer, index, `README puts ${path} in layer ${documentedLayer}, ${CONFIG} in ${index}`);
      }
    });
    const patterns = LAYERS.flat().map(([, path]) => new RegExp(path));
    for (const path of documented.keys()) assert.ok(patterns.some((p) => p.test(path)), `${path} in README is in no layer of ${CONFIG}`);
  });
});
