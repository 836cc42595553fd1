import { Option, type Command } from 'commander';
import { discoverIntents, type DiscoveryProgress, type DiscoveryResult } from '../../discovery/discover.ts';
import { requestsFromDatabase } from '../../discovery/source.ts';
import { servedCatalogue, withDatabase } from '../context.ts';
import { progressOnTerminal, terminalBar } from '../progress.ts';

interface DiscoverCommandOptions {
  k?: string;
  granularity: string;
  seed: string;
  limit?: string;
  language: string[];
  format: 'table' | 'json';
  examples: string;
}

const PHASES: Record<DiscoveryProgress['phase'], string> = {
  features: 'n-gram features',
  decomposition: 'LSA',
  neighbours: 'nearest neighbours',
  graph: 'spectral embedding',
  clustering: 'k-means',
  assigning: 'assigning the rest',
  describing: 'naming clusters',
  done: 'done',
};

/** Reading conversations, then the discovery's phases: a bar on a terminal, lines in pipes. */
function progressReporter(): { reading: (done: number, total: number) => void; discovering: (progress: DiscoveryProgress) => void; stop: () => void } {
  if (progressOnTerminal()) {
    const bar = terminalBar('discovering |{bar}| {value}/{total} {phase}');
    return {
      reading: (done, total) => bar.show(done, Math.max(total, 1), { phase: 'conversations read' }),
      discovering: (progress) => bar.show(progress.done, Math.max(progress.total, 1), { phase: PHASES[progress.phase] }),
      stop: () => bar.stop(),
    };
  }
  let lastPhase = '';
  return {
    reading: (done, total) => {
      if (done === total) process.stderr.write(`read ${done} conversations\n`);
    },
    discovering: (progress) => {
      if (progress.phase !== lastPhase) process.stderr.write(`${PHASES[progress.phase]}\n`);
      lastPhase = progress.phase;
    },
    stop: () => {},
  };
}

function table(result: DiscoveryResult, examples: number): string {
  const lines: string[] = [];
  lines.push(`${result.candidates.length} candidate intents from ${result.requests} requests (${result.distinctTexts} distinct); k = ${result.k} (${result.kChosen}); long tail ${result.longTailSize}; ${result.seconds.toFixed(1)} s`);
  for (const candidate of result.candidates) {
    lines.push('');
    lines.push(`#${candidate.id} ${candidate.name}  "${candidate.label}"  size ${candidate.size}  cohesion ${candidate.cohesion.toFixed(2)}${candidate.languages.length ? `  languages ${candidate.languages.join(',')}` : ''}`);
    lines.push(`   keywords: ${candidate.keywords.join(', ')}`);
    for (const overlap of candidate.overlaps) lines.push(`   overlaps ${overlap.intent} (share ${overlap.share.toFixed(2)}, similarity ${overlap.similarity.toFixed(2)})`);
    for (const example of candidate.examples.slice(0, examples)) lines.push(`   - ${example}`);
    for (const answer of candidate.answers) lines.push(`   answer (${Math.round(answer.support * 100)}%): ${answer.text}`);
  }
  if (result.longTail.length > 0) {
    lines.push('');
    lines.push(`long tail (${result.longTailSize} requests), most asked first:`);
    for (const item of result.longTail.slice(0, 20)) lines.push(`   ${item.count}× ${item.text}`);
  }
  return `${lines.join('\n')}\n`;
}

export function registerDiscoverCommand(program: Command): void {
  program
    .command('discover')
    .description('Discover candidate intents in the imported and logged conversations: cluster the visitors\' requests and propose names, examples, answers mined from agents\' replies, overlaps with the catalogue and the long tail (docs/discovery.md)')
    .option('--k <n>', 'number of clusters (default: chosen automatically)')
    .option('--granularity <x>', 'with an automatic k: above 1 more, finer clusters; below 1 fewer', '1')
    .option('--seed <n>', 'random seed (the same data and seed give the same clusters)', '1')
    .option('--limit <n>', 'read at most this many conversations')
    .option('--language <code>', 'only requests in this language (repeat for several)', (code: string, codes: string[]) => [...codes, code], [])
    .option('--examples <n>', 'examples per cluster in the table', '5')
    .addOption(new Option('--format <format>', 'table (readable) or json (one JSON document)').choices(['table', 'json']).default('table'))
    .action((options: DiscoverCommandOptions) =>
      withDatabase(async (context) => {
        const { prisma } = context;
        const { catalogue } = await servedCatalogue(context);
        const reporter = progressReporter();
        let result: DiscoveryResult;
        try {
          const requests = await requestsFromDatabase(prisma, {
            ...(options.limit ? { limit: Number(options.limit) } : {}),
            ...(options.language.length ? { languages: options.language } : {}),
            onProgress: reporter.reading,
          });
          result = discoverIntents(requests, {
            ...(options.k ? { k: Number(options.k) } : {}),
            granularity: Number(options.granularity),
            seed: Number(options.seed),
            catalogue: catalogue.intents.map((intent) => ({ name: intent.name, label: intent.label, examples: intent.examples })),
            onProgress: reporter.discovering,
          });
        } finally {
          reporter.stop();
        }
        if (options.format === 'json') {
          const { assignments: _assignments, clusterOf: _clusterOf, ...rest } = result;
          process.stdout.write(`${JSON.stringify(rest)}\n`);
        } else process.stdout.write(table(result, Number(options.examples)));
      }),
    );
}
