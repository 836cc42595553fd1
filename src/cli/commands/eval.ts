import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { loadAnyModel } from '../../nlu/load.ts';
import { readDatasets } from '../../corpus/datasets.ts';
import { evaluateModel, type ModelEvaluation } from '../../evaluation/evaluate.ts';
import { renderReport } from '../../evaluation/report.ts';

interface EvalCommandOptions {
  model: string;
  data: string[];
  json?: boolean;
  report?: string;
}

/** The one-line summary `frontdesk eval` prints. */
export function evalSummary(result: ModelEvaluation): Record<string, number | null> {
  const { n, accuracy, in_scope_accuracy, top1_accuracy, oos_recall, macro_f1, ece } = result.evaluation;
  const round = (value: number) => Number(value.toFixed(4));
  return {
    n,
    accuracy: round(accuracy),
    in_scope_accuracy: round(in_scope_accuracy),
    top1_accuracy: round(top1_accuracy),
    oos_recall: oos_recall === null ? null : round(oos_recall),
    macro_f1: round(macro_f1),
    ece: round(ece),
    p50_ms: round(result.p50_ms),
    p99_ms: round(result.p99_ms),
  };
}

/** The summary for a person: one line, `key=value` pairs (`oos_recall=-` when there were no out-of-scope rows). */
export function formatSummary(summary: Record<string, number | string | null>): string {
  return Object.entries(summary)
    .map(([key, value]) => `${key}=${value ?? '-'}`)
    .join(' ');
}

/** `output` is where the result goes (stdout; tests pass their own). */
export function registerEvalCommand(program: Command, output: { write(text: string): unknown } = process.stdout): void {
  program
    .command('eval')
    .description('Evaluate a model folder on labelled data (intent "oos" = out of scope, right when the model falls back)')
    .requiredOption('--model <dir>', 'model artifact folder')
    .option('--data <file>', 'evaluation data; repeat for several files', (file: string, files: string[]) => [...files, file], [])
    .option('--json', 'print the summary as one JSON line (default: one line of key=value pairs)')
    .option('--report <file.html>', 'also write an HTML report (per-intent scores, confusions, calibration)')
    .action(async (options: EvalCommandOptions) => {
      if (options.data.length === 0) throw new Error('eval needs --data FILE');
      const examples = await readDatasets(options.data);
      const model = await loadAnyModel(options.model);
      try {
        const result = await evaluateModel(model, examples);
        const summary = { ...evalSummary(result), execution_provider: model.executionProvider };
        output.write(`${options.json ? JSON.stringify(summary) : formatSummary(summary)}\n`);
        if (options.report) {
          await writeFile(options.report, renderReport({ title: `${options.model} on ${options.data.join(', ')}`, meta: model.meta, result }));
          if (!options.json) output.write(`report written to ${options.report}\n`);
        }
      } finally {
        await model.close();
      }
    });
}
