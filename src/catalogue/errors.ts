/** One thing wrong with the catalogue. */
export interface CatalogueProblem {
  /** The file the problem is in (the directory itself for problems that have no file). */
  file: string;
  /** The offending field, e.g. `examples[3]` or `answers.de[0]`; undefined for whole-file problems. */
  field?: string;
  message: string;
  /** 1-based position in the file, where known. */
  line?: number;
  column?: number;
}

export function formatProblem(problem: CatalogueProblem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return problem.field === undefined ? `${where}: ${problem.message}` : `${where}: ${problem.field}: ${problem.message}`;
}

/**
 * The catalogue cannot be used. `problems` lists everything found (not only the first); `file` and
 * `field` repeat the first problem's for convenience.
 */
export class CatalogueError extends Error {
  readonly code = 'CATALOGUE_INVALID' as const;
  readonly problems: readonly CatalogueProblem[];
  readonly file: string;
  readonly field: string | undefined;

  constructor(problems: readonly CatalogueProblem[]) {
    if (problems.length === 0) throw new TypeError('CatalogueError needs at least one problem');
    const first = problems[0]!;
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid intent catalogue (${count}):\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`);
    this.name = 'CatalogueError';
    this.problems = Object.freeze([...problems]);
    this.file = first.file;
    this.field = first.field;
  }
}

/** `answer()` or a similar lookup named an intent the catalogue does not have. */
export class UnknownIntentError extends Error {
  readonly code = 'INTENT_UNKNOWN' as const;
  constructor(readonly intent: string) {
    super(`Unknown intent "${intent}": it is not in the intent catalogue`);
    this.name = 'UnknownIntentError';
  }
}
