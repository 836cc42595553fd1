// The catalogue as every process serves it: built from the documents in Postgres, changed by the
// admins' editor, the CLI's import and discovery's accepted intents, and followed live (LISTEN/NOTIFY):
// a change saved in one process is served by every process at once, without a restart.
import { parse as parseYaml } from 'yaml';
import type { Logger } from '../observability/logger.ts';
import type { AuditActor } from '../store/audit-store.ts';
import { CATALOGUE_CHANNEL, RevisionConflictError, type CatalogueRevisionView, type CatalogueStore, type PlannedChange, type StoredDocument } from '../store/catalogue-store.ts';
import { listen, type Subscription } from '../store/notifications.ts';
import { normalizeExample } from './catalogue.ts';
import { CatalogueError, type CatalogueProblem } from './errors.ts';
import { isCataloguePath, isKnowledgeDocument, isKnowledgePath, knowledgeOf, readCatalogueFolder } from './folder.ts';
import { catalogueFromFiles, isCatalogueYaml, yamlProblems, type CatalogueFile } from './loader.ts';
import { OUT_OF_SCOPE_FILE } from './schema.ts';
import type { Catalogue } from './types.ts';

export { RevisionConflictError, type CatalogueRevisionView, type StoredDocument };

/** A change of one document in a draft or a save: its new text, or null to retire it. */
export interface DocumentDraft {
  path: string;
  content: string | null;
}

interface Snapshot {
  seq: bigint;
  documents: ReadonlyMap<string, StoredDocument>;
  catalogue: Catalogue;
}

const SEED_ACTOR: AuditActor = { kind: 'system', name: 'catalogue seed' };

/**
 * The examples a document teaches the classifier, in normal form (null for documents without
 * any): a change of them makes the active model stale.
 */
function examplesOf(path: string, content: string | null): string | null {
  if (content === null || !isCatalogueYaml(path)) return null;
  let value: unknown;
  try {
    value = parseYaml(content);
  } catch {
    return null;
  }
  const examples = (value as { examples?: unknown } | null)?.examples;
  if (!Array.isArray(examples)) return null;
  const name = path === OUT_OF_SCOPE_FILE ? 'oos' : (value as { name?: unknown }).name;
  return JSON.stringify([name, examples.map((example) => normalizeExample(String(example))).sort()]);
}

/** The live documents' files (retired ones left out). */
function filesOf(documents: Iterable<StoredDocument>): CatalogueFile[] {
  return [...documents].flatMap((document) => (document.content === null ? [] : [{ path: document.path, text: document.content }]));
}

export interface ValidateOptions {
  minExamples?: number | undefined;
  /** Prefixed to paths in problems (an imported folder). */
  dir?: string | undefined;
}

/** Every rule of the loader over the catalogue's files, and YAML that parses under knowledge/; throws CatalogueError. */
export function validateFiles(files: readonly CatalogueFile[], options: ValidateOptions = {}): Catalogue {
  const problems: CatalogueProblem[] = [];
  for (const file of files) {
    const label = options.dir === undefined ? file.path : `${options.dir}/${file.path}`;
    if (!isCataloguePath(file.path)) problems.push({ file: label, message: 'not a catalogue path: an intent or special file (name.yaml) or a document under knowledge/ (.md)' });
    else if (isKnowledgePath(file.path) && !isKnowledgeDocument(file.path)) problems.push(...yamlProblems(label, file.text));
  }
  let catalogue: Catalogue | undefined;
  try {
    catalogue = catalogueFromFiles(files, { minExamples: options.minExamples, ...(options.dir === undefined ? {} : { dir: options.dir }) });
  } catch (error) {
    if (!(error instanceof CatalogueError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || !catalogue) throw new CatalogueError(problems);
  return catalogue;
}

export interface LiveCatalogueOptions {
  store: CatalogueStore;
  logger: Logger;
  /** Fewest examples an intent may have (default 8). */
  minExamples?: number;
}

/**
 * The catalogue built from Postgres, kept current in this process, and the one way to change it.
 * Every change is validated by the loader's rules against the whole catalogue it replaces (under a
 * lock, so two editors cannot together break a rule neither broke alone), kept as a revision with
 * who and when, recorded in the audit log, and announced to every process.
 */
export class LiveCatalogue {
  #snapshot: Snapshot;
  #listeners: Array<(changed: readonly string[]) => void> = [];
  #subscription: Subscription | null = null;
  /** Reloads run one at a time, in order. */
  #reloading: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: LiveCatalogueOptions, snapshot: Snapshot) {
    this.#snapshot = snapshot;
  }

  /**
   * The catalogue from Postgres. An empty database is seeded from `seedDir` first (the first start
   * of a new installation); afterwards the folder is read only by `frontdesk catalogue import`.
   */
  static async open(options: LiveCatalogueOptions & { seedDir?: string }): Promise<LiveCatalogue> {
    let loaded = await options.store.documents();
    if (loaded.documents.length === 0 && options.seedDir !== undefined) {
      const files = await readCatalogueFolder(options.seedDir);
      validateFiles(files, { minExamples: options.minExamples, dir: options.seedDir });
      const seeded = await options.store.change(SEED_ACTOR, (current) =>
        // The first model is trained on the seeded examples: they are no change for it.
        current.size > 0 ? [] : files.map((file) => ({ path: file.path, content: file.text, change: 'seed', examplesChanged: false })),
      );
      if (seeded.length > 0) options.logger.info({ documents: seeded.length, from: options.seedDir }, 'catalogue seeded from the folder');
      loaded = await options.store.documents();
    }
    const documents = new Map(loaded.documents.map((document) => [document.path, document]));
    const catalogue = validateFiles(filesOf(documents.values()), { minExamples: options.minExamples });
    return new LiveCatalogue(options, { seq: loaded.seq, documents, catalogue });
  }

  get catalogue(): Catalogue {
    return this.#snapshot.catalogue;
  }

  /** Every document, retired ones included, sorted by path. */
  documents(): StoredDocument[] {
    return [...this.#snapshot.documents.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  document(path: string): StoredDocument | undefined {
    return this.#snapshot.documents.get(path);
  }

  /** The live files, as `catalogue export` writes them. */
  files(): CatalogueFile[] {
    return filesOf(this.documents());
  }

  /** The knowledge documents (Markdown under knowledge/, by their path there) and the retrieval's held-out questions. */
  knowledge(): ReturnType<typeof knowledgeOf> {
    return knowledgeOf(this.files());
  }

  /** Called with the changed paths after every change this process takes in, its own and other processes'. */
  onChange(listener: (changed: readonly string[]) => void): void {
    this.#listeners.push(listener);
  }

  /** Follows changes made by any process (NOTIFY); after a lost connection, catches up. */
  async follow(databaseUrl: string): Promise<void> {
    const { logger } = this.options;
    const catchUp = () => void this.reload().catch((error: unknown) => logger.error({ err: error }, 'reloading the catalogue failed'));
    this.#subscription = await listen({ databaseUrl, channel: CATALOGUE_CHANNEL, logger, onNotification: catchUp, onReconnect: catchUp });
    // A change made between open() and LISTEN.
    catchUp();
  }

  /** Reads the documents again when Postgres has newer revisions; returns the changed paths. */
  reload(): Promise<string[]> {
    const next = this.#reloading.catch(() => {}).then(() => this.reloadNow());
    this.#reloading = next;
    return next;
  }

  private async reloadNow(): Promise<string[]> {
    const { store, logger } = this.options;
    if ((await store.latestSeq()) <= this.#snapshot.seq) return [];
    const loaded = await store.documents();
    const documents = new Map(loaded.documents.map((document) => [document.path, document]));
    const changed = [...new Set([...documents.keys(), ...this.#snapshot.documents.keys()])].filter(
      (path) => documents.get(path)?.revision !== this.#snapshot.documents.get(path)?.revision,
    );
    let catalogue: Catalogue;
    try {
      catalogue = validateFiles(filesOf(documents.values()), { minExamples: this.options.minExamples });
    } catch (error) {
      // Every change is validated before it is saved; this is a catalogue saved by other rules (another version).
      logger.error({ err: error }, 'the catalogue in Postgres is invalid; serving the previous one');
      return [];
    }
    this.#snapshot = { seq: loaded.seq, documents, catalogue };
    logger.info({ changed: changed.length, seq: String(loaded.seq) }, 'catalogue reloaded');
    for (const listener of this.#listeners) listener(changed);
    return changed;
  }

  /**
   * The catalogue as it would be with these drafts (unsaved), for the editor's preview and its
   * validation; throws CatalogueError with every problem.
   */
  draft(drafts: readonly DocumentDraft[]): Catalogue {
    const documents = new Map(this.#snapshot.documents);
    for (const draft of drafts) {
      // Last, so that a rule the draft breaks with another file is reported in the draft.
      documents.delete(draft.path);
      documents.set(draft.path, { path: draft.path, content: draft.content, revision: 0, updatedAt: new Date() });
    }
    return validateFiles(filesOf(documents.values()), { minExamples: this.options.minExamples });
  }

  /**
   * Creates or changes one document. `baseRevision` is the revision the editor started from (0 for a
   * new document): a save over someone else's newer change is a RevisionConflictError.
   */
  async save(path: string, content: string, baseRevision: number, actor: AuditActor): Promise<CatalogueRevisionView> {
    return this.changeOne(path, baseRevision, actor, (before) => ({ content, change: before?.content == null ? 'create' : 'update' }));
  }

  /** Retires a document: it leaves the catalogue, its history stays and `restore` brings it back. */
  async retire(path: string, baseRevision: number, actor: AuditActor): Promise<CatalogueRevisionView> {
    return this.changeOne(path, baseRevision, actor, () => ({ content: null, change: 'retire' }));
  }

  /** Makes a document what it was at `revision` (undo: the revision before the newest), as a new revision. */
  async restore(path: string, revision: number, actor: AuditActor): Promise<CatalogueRevisionView> {
    const old = await this.options.store.revision(path, revision);
    if (!old) throw new CatalogueError([{ file: path, message: `there is no revision ${revision} of ${path}` }]);
    return this.changeOne(path, null, actor, () => ({ content: old.content, change: 'restore' }));
  }

  private async changeOne(
    path: string,
    baseRevision: number | null,
    actor: AuditActor,
    decide: (before: StoredDocument | undefined) => { content: string | null; change: PlannedChange['change'] },
  ): Promise<CatalogueRevisionView> {
    if (!isCataloguePath(path)) throw new CatalogueError([{ file: path, message: 'not a catalogue path: an intent or special file (name.yaml) or a document under knowledge/ (.md)' }]);
    const [view] = await this.options.store.change(actor, (current) => {
      const before = current.get(path);
      if (baseRevision !== null && baseRevision !== (before?.revision ?? 0)) throw new RevisionConflictError(path, before?.revision ?? 0);
      const { content, change } = decide(before);
      if (content === null && (before?.content ?? null) === null) throw new CatalogueError([{ file: path, message: `${path} is retired already` }]);
      const next = new Map([...current].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
      // Last, so that a rule the change breaks with another file is reported in the changed one.
      next.delete(path);
      next.set(path, { path, content, revision: 0, updatedAt: new Date() });
      validateFiles(filesOf(next.values()), { minExamples: this.options.minExamples });
      return [{ path, content, change, examplesChanged: examplesOf(path, before?.content ?? null) !== examplesOf(path, content) }];
    });
    await this.reload();
    return view!;
  }

  history(path: string, limit?: number): Promise<CatalogueRevisionView[]> {
    return this.options.store.history(path, limit);
  }

  /** The newest change of examples, to tell whether the active model (trained before it) is stale. */
  lastExamplesChange(): Promise<{ path: string; at: Date } | null> {
    return this.options.store.lastExamplesChange();
  }

  async close(): Promise<void> {
    await this.#subscription?.close();
    this.#subscription = null;
    await this.#reloading.catch(() => {});
  }
}

/**
 * Makes the catalogue in Postgres equal to these files (`frontdesk catalogue import`): changed and
 * new files are saved, documents missing from them retired, unchanged ones left alone; every server
 * reloads. Validated as a whole first (problems name the files under `dir`). Returns the changes.
 */
export async function importCatalogue(store: CatalogueStore, files: readonly CatalogueFile[], actor: AuditActor, options: ValidateOptions = {}): Promise<CatalogueRevisionView[]> {
  validateFiles(files, options);
  const wanted = new Map(files.map((file) => [file.path, file.text]));
  return store.change(actor, (current) =>
    [...new Set([...wanted.keys(), ...current.keys()])].sort().flatMap((path): PlannedChange[] => {
      const before = current.get(path)?.content ?? null;
      const content = wanted.get(path) ?? null;
      if (before === content) return [];
      return [{ path, content, change: 'import', examplesChanged: examplesOf(path, before) !== examplesOf(path, content) }];
    }),
  );
}

/** The catalogue's live files as they were saved, byte for byte (`frontdesk catalogue export`). */
export async function exportCatalogue(store: CatalogueStore): Promise<CatalogueFile[]> {
  return filesOf((await store.documents()).documents);
}
