// A self-contained HTML evaluation report for a support lead: the headline numbers, which intents
// are weak, what gets mistaken for what, a confusion heatmap and a reliability diagram (SVG).
import { OUT_OF_SCOPE, type CommonModelMeta } from '../nlu/types.ts';
import type { ModelEvaluation, ReliabilityBin } from './evaluate.ts';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

const percent = (value: number | null) => (value === null ? '–' : `${(value * 100).toFixed(1)}%`);

/** Red (0) → amber → green (1), for scores. */
function scoreColor(value: number): string {
  return `hsl(${Math.round(value * 120)}, 65%, 45%)`;
}

function card(label: string, value: string, hint: string): string {
  return `<div class="card"><div class="value">${value}</div><div class="label">${escapeHtml(label)}</div><div class="hint">${escapeHtml(hint)}</div></div>`;
}

/** Rows: expected intent; columns: answered intent (fallback = oos); colour: share of the row. */
function confusionHeatmap(result: ModelEvaluation): string {
  const { confusion } = result.evaluation;
  const intents = [...new Set([...confusion.keys(), ...[...confusion.values()].flatMap((row) => [...row.keys()])])].sort((a, b) =>
    a === OUT_OF_SCOPE ? 1 : b === OUT_OF_SCOPE ? -1 : a.localeCompare(b),
  );
  const cell = Math.max(6, Math.min(22, Math.floor(640 / Math.max(intents.length, 1))));
  const margin = 190;
  const size = margin + cell * intents.length + 10;
  const index = new Map(intents.map((intent, position) => [intent, position]));
  const cells: string[] = [];
  for (const [expected, row] of confusion) {
    const total = [...row.values()].reduce((sum, count) => sum + count, 0);
    for (const [answered, count] of row) {
      const share = count / total;
      const right = answered === expected;
      // Diagonal in green, mistakes in red: the eye goes to the red off the diagonal.
      const colour = right ? `rgba(22, 128, 60, ${0.15 + 0.85 * share})` : `rgba(200, 30, 30, ${0.2 + 0.8 * share})`;
      cells.push(
        `<rect x="${margin + index.get(answered)! * cell}" y="${margin + index.get(expected)! * cell}" width="${cell - 1}" height="${cell - 1}" fill="${colour}"><title>${escapeHtml(expected)} → ${escapeHtml(answered === OUT_OF_SCOPE ? 'fallback' : answered)}: ${count} of ${total} (${percent(share)})</title></rect>`,
      );
    }
  }
  const fontSize = Math.max(6, Math.min(11, cell - 2));
  const labels = intents.flatMap((intent, position) => {
    const name = escapeHtml(intent === OUT_OF_SCOPE ? 'fallback / oos' : intent);
    const middle = margin + position * cell + cell / 2;
    return [
      `<text x="${margin - 4}" y="${middle}" text-anchor="end" dominant-baseline="middle" font-size="${fontSize}">${name}</text>`,
      `<text transform="translate(${middle}, ${margin - 4}) rotate(-60)" font-size="${fontSize}">${name}</text>`,
    ];
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}" role="img" aria-label="Confusion heatmap">
<rect x="${margin}" y="${margin}" width="${cell * intents.length}" height="${cell * intents.length}" fill="#f6f7f9"/>
${cells.join('\n')}
${labels.join('\n')}
<text x="${margin + (cell * intents.length) / 2}" y="12" text-anchor="middle" font-size="12" font-weight="600">answered as →</text>
<text transform="translate(12, ${margin + (cell * intents.length) / 2}) rotate(-90)" text-anchor="middle" font-size="12" font-weight="600">← true intent</text>
</svg>`;
}

/** Accuracy per confidence bin against the diagonal of perfect calibration, counts underneath. */
function reliabilityDiagram(bins: readonly ReliabilityBin[], threshold: number): string {
  const width = 420;
  const height = 300;
  const left = 50;
  const top = 20;
  const plot = 240;
  const x = (value: number) => left + value * plot;
  const y = (value: number) => top + (1 - value) * plot;
  const maxCount = Math.max(1, ...bins.map((bin) => bin.count));
  const bars = bins
    .filter((bin) => bin.count > 0)
    .map((bin) => {
      const gap = bin.meanConfidence - bin.accuracy;
      const title = `confidence ${percent(bin.low)}–${percent(bin.high)}: ${bin.count} messages, right ${percent(bin.accuracy)} of the time (mean confidence ${percent(bin.meanConfidence)})`;
      return `<rect x="${x(bin.low) + 1}" y="${y(bin.accuracy)}" width="${plot / bins.length - 2}" height="${y(0) - y(bin.accuracy)}" fill="${Math.abs(gap) < 0.05 ? '#2f7ed8' : '#e67e22'}" opacity="0.85"><title>${title}</title></rect>
<rect x="${x(bin.low) + 1}" y="${top + plot + 8 + 30 * (1 - bin.count / maxCount)}" width="${plot / bins.length - 2}" height="${30 * (bin.count / maxCount)}" fill="#9aa5b1"><title>${bin.count} messages</title></rect>`;
    });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map(
    (tick) => `<text x="${x(tick)}" y="${top + plot + 52}" text-anchor="middle" font-size="10">${tick * 100}%</text><text x="${left - 6}" y="${y(tick)}" text-anchor="end" dominant-baseline="middle" font-size="10">${tick * 100}%</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 40}" viewBox="0 0 ${width} ${height + 40}" role="img" aria-label="Reliability diagram">
<rect x="${left}" y="${top}" width="${plot}" height="${plot}" fill="#f6f7f9" stroke="#c8cdd3"/>
${bars.join('\n')}
<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#333" stroke-dasharray="4 3"><title>perfect calibration</title></line>
<line x1="${x(threshold)}" y1="${top}" x2="${x(threshold)}" y2="${top + plot}" stroke="#c0392b" stroke-width="2"><title>fallback threshold ${percent(threshold)}</title></line>
<text x="${x(threshold) + 4}" y="${top + 12}" font-size="10" fill="#c0392b">fallback below ${percent(threshold)}</text>
${ticks.join('\n')}
<text x="${left + plot / 2}" y="${top + plot + 68}" text-anchor="middle" font-size="11">confidence the model gave</text>
<text transform="translate(12, ${top + plot / 2}) rotate(-90)" text-anchor="middle" font-size="11">how often it was right</text>
<text x="${left + plot + 12}" y="${top + 20}" font-size="10"><tspan fill="#2f7ed8">■</tspan> within 5 points</text>
<text x="${left + plot + 12}" y="${top + 36}" font-size="10"><tspan fill="#e67e22">■</tspan> off by more</text>
<text x="${left + plot + 12}" y="${top + plot + 30}" font-size="10" fill="#677">messages per bin</text>
</svg>`;
}

export function renderReport(input: { title: string; meta: CommonModelMeta; result: ModelEvaluation }): string {
  const { meta, result } = input;
  const evaluation = result.evaluation;
  const intentRows = [...evaluation.perIntent]
    .sort((a, b) => a.f1 - b.f1 || a.intent.localeCompare(b.intent))
    .map(
      (score) => `<tr><td>${escapeHtml(score.intent === OUT_OF_SCOPE ? 'out of scope (fallback)' : score.intent)}</td><td class="num">${score.support}</td>${[score.precision, score.recall, score.f1]
        .map((value) => `<td class="num"><span class="bar" style="width:${Math.round(value * 60)}px;background:${scoreColor(value)}"></span>${percent(value)}</td>`)
        .join('')}</tr>`,
    )
    .join('\n');
  const pairs = evaluation.confusedPairs
    .slice(0, 12)
    .map(
      (pair) =>
        `<li><b>${pair.count}×</b> ${escapeHtml(pair.expected === OUT_OF_SCOPE ? 'out-of-scope message' : pair.expected)} → answered as <b>${escapeHtml(pair.predicted === OUT_OF_SCOPE ? 'fallback' : pair.predicted)}</b></li>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Intent model report — ${escapeHtml(input.title)}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1100px; color: #1f2933; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; font-size: 1.15rem; border-bottom: 1px solid #e4e7eb; padding-bottom: .3rem; }
.sub { color: #616e7c; } .cards { display: flex; flex-wrap: wrap; gap: .8rem; margin-top: 1rem; }
.card { border: 1px solid #e4e7eb; border-radius: 8px; padding: .7rem 1rem; min-width: 140px; }
.card .value { font-size: 1.5rem; font-weight: 650; } .card .label { font-weight: 600; } .card .hint { color: #7b8794; font-size: .8rem; max-width: 180px; }
table { border-collapse: collapse; width: 100%; } th, td { padding: .25rem .5rem; border-bottom: 1px solid #f0f2f4; text-align: left; }
th { position: sticky; top: 0; background: #fff; } td.num { white-space: nowrap; }
.bar { display: inline-block; height: 8px; border-radius: 4px; margin-right: .4rem; vertical-align: middle; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 2rem; } .scroll { max-height: 520px; overflow: auto; }
</style></head><body>
<h1>Intent model report</h1>
<div class="sub">${escapeHtml(input.title)} · ${evaluation.n} messages · ${meta.labels.filter((label) => label !== OUT_OF_SCOPE).length} intents · model trained ${escapeHtml(meta.createdAt)}</div>
<div class="cards">
${card('answered right', percent(evaluation.accuracy), 'right intent, or the fallback for an out-of-scope message')}
${card('in-scope accuracy', percent(evaluation.in_scope_accuracy), 'in-scope messages answered with the right intent')}
${card('out-of-scope caught', percent(evaluation.oos_recall), 'out-of-scope messages sent to the fallback')}
${card('macro F1', percent(evaluation.macro_f1), 'every intent counts the same')}
${card('calibration error', percent(evaluation.ece), 'average gap between confidence and how often it is right (ECE)')}
${card('latency p50 / p99', `${result.p50_ms.toFixed(2)} / ${result.p99_ms.toFixed(2)} ms`, 'one message at a time')}
${card('fallback threshold', percent(meta.threshold), 'chosen on validation data at training time')}
</div>
<div class="two">
<section><h2>How far to trust the confidence</h2>
<p>Each bar is the share of messages the model got right among those it gave that confidence. Bars on the dashed line mean a confidence of 70% is right about 70% of the time. Messages left of the red line take the fallback path.</p>
${reliabilityDiagram(evaluation.reliability, meta.threshold)}</section>
<section><h2>Most confused</h2><ol>${pairs || '<li>No mistakes.</li>'}</ol></section>
</div>
<h2>Per intent, weakest first</h2>
<div class="scroll"><table><thead><tr><th>intent</th><th>messages</th><th>precision</th><th>recall</th><th>F1</th></tr></thead><tbody>
${intentRows}
</tbody></table></div>
<h2>Confusion heatmap</h2>
<p>Rows are the true intents, columns what the model answered. Green on the diagonal is right; every red square off it is a kind of mistake (hover for counts).</p>
<div class="scroll">${confusionHeatmap(result)}</div>
</body></html>
`;
}
