// Structured edits of an intent's YAML text (the console's answer fields): the field is replaced in
// the parsed document and the text written again, so comments and the other fields stay as written.
import { parseDocument } from 'yaml';
import { CatalogueError } from './errors.ts';

/** The intent's text with `answers` replaced (languages in the given order); throws CatalogueError for malformed YAML. */
export function withAnswers(path: string, text: string, answers: Readonly<Record<string, readonly string[]>>): string {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new CatalogueError([{ file: path, message: `malformed YAML: ${document.errors[0]!.message.split('\n')[0]}` }]);
  document.setIn(['answers'], document.createNode(Object.fromEntries(Object.entries(answers).map(([language, variants]) => [language, [...variants]]))));
  // New answers in double quotes, as the starter catalogue writes them; existing nodes keep their style.
  return document.toString({ lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', flowCollectionPadding: false });
}
