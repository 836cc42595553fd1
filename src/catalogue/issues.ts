import type { z } from 'zod';
import type { CatalogueProblem } from './errors.ts';
import { intentFieldsAt } from './schema.ts';

export type Locate = (path: readonly PropertyKey[]) => { line: number; column: number } | undefined;

export function formatFieldPath(path: readonly PropertyKey[]): string | undefined {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? undefined : out;
}

export function makeProblem(
  file: string,
  path: readonly PropertyKey[],
  message: string,
  locate: Locate | undefined,
  prefix: readonly PropertyKey[] = [],
): CatalogueProblem {
  const problem: CatalogueProblem = { file, message };
  const field = formatFieldPath([...prefix, ...path]);
  if (field !== undefined) problem.field = field;
  const position = locate?.(path);
  if (position) {
    problem.line = position.line;
    problem.column = position.column;
  }
  return problem;
}

/**
 * Turns zod's issues into catalogue problems: one per unknown key, readable messages for record
 * keys, and no follow-up complaints about a field whose type is already wrong.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  file: string,
  locate: Locate | undefined,
  prefix: readonly PropertyKey[] = [],
  allowedFields: readonly string[] | ((path: readonly PropertyKey[]) => readonly string[]) = intentFieldsAt,
): CatalogueProblem[] {
  const allowedAt = typeof allowedFields === 'function' ? allowedFields : () => allowedFields;
  const wrongType = new Set(
    issues.filter((issue) => issue.code === 'invalid_type').map((issue) => JSON.stringify(issue.path)),
  );
  const problems: CatalogueProblem[] = [];
  for (const issue of issues) {
    const key = JSON.stringify(issue.path);
    if (issue.code !== 'invalid_type' && wrongType.has(key)) continue;
    if (issue.code === 'unrecognized_keys') {
      for (const unknown of issue.keys) {
        problems.push(
          makeProblem(file, [...issue.path, unknown], `unknown field "${unknown}" (allowed: ${allowedAt(issue.path).join(', ')})`, locate, prefix),
        );
      }
    } else if (issue.code === 'invalid_key') {
      const name = String(issue.path.at(-1));
      const message = issue.path.length === 2 && issue.path[0] === 'templates'
        ? `"${name}" is not a template name (snake_case, as the action returns it)`
        : `"${name}" is not a language code (use lowercase codes such as en, de, pt-BR)`;
      problems.push(makeProblem(file, issue.path, message, locate, prefix));
    } else {
      problems.push(makeProblem(file, issue.path, issue.message, locate, prefix));
    }
  }
  return problems;
}
