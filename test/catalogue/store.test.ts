// The catalogue in Postgres (issue 19): seeding an empty database from a folder, edits validated by
// the loader's rules against the whole catalogue, revisions with who and when, undo, conflicts,
// the audit log, staleness of the model, and a second process following a change (LISTEN/NOTIFY).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogueError } from '../../src/catalogue/index.ts';
import { LiveCatalogue, RevisionConflictError } from '../../src/catalogue/live.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { CatalogueStore } from '../../src/store/catalogue-store.ts';
import type { PrismaClient } from '../../src/store/prisma.ts';
import { migratedDatabase } from '../helpers/postgres.ts';
import { examples, fixtureDir, intentYaml } from './helpers.ts';

const logger = createLogger('silent');
const ADMIN = { kind: 'agent', id: '00000000-0000-4000-8000-000000000001', name: 'admin@example.com' } as const;

describe('the catalogue store', () => {
  let db: { url: string; prisma: PrismaClient; close(): Promise<void> };
  let folder: { dir: string; cleanup: () => Promise<void> };
  let live: LiveCatalogue;

  before(async () => {
    db = await migratedDatabase(4);
    folder = await fixtureDir({
      'greet.yaml': intentYaml('greet'),
      'order.yaml': intentYaml('order'),
      'knowledge/faq.md': '# FAQ\n\n## Opening hours\n\nWe are open 9 to 5.\n',
    });
    live = await LiveCatalogue.open({ store: new CatalogueStore(db.prisma), seedDir: folder.dir, logger });
  });

  after(async () => {
    await live?.close();
    await folder?.cleanup();
    await db?.close();
  });

  test('an empty database is seeded from the folder, once', async () => {
    assert.deepEqual(live.catalogue.intents.map((intent) => intent.name), ['greet', 'order']);
    assert.deepEqual(live.documents().map((document) => [document.path, document.revision]), [['greet.yaml', 1], ['knowledge/faq.md', 1], ['order.yaml', 1]]);
    assert.equal(live.knowledge().markdown[0]?.file, 'faq.md');
    // A later start reads Postgres, whatever the folder holds now.
    const other = await fixtureDir({ 'other.yaml': intentYaml('other') });
    try {
      const again = await LiveCatalogue.open({ store: new CatalogueStore(db.prisma), seedDir: other.dir, logger });
      assert.deepEqual(again.catalogue.intents.map((intent) => intent.name), ['greet', 'order']);
      await again.close();
    } finally {
      await other.cleanup();
    }
  });

  test('an edit is a new revision with who, when and the text before; undo restores the previous one', async () => {
    const before = live.document('greet.yaml')!;
    const edited = before.content!.replace('First answer.', 'Hello there!');
    const saved = await live.save('greet.yaml', edited, before.revision, ADMIN);
    assert.equal(saved.revision, 2);
    assert.equal(saved.change, 'update');
    assert.equal(saved.examplesChanged, false);
    assert.equal(live.catalogue.answer('greet', 'en', 0), 'Hello there!');

    const history = await live.history('greet.yaml');
    assert.deepEqual(history.map((revision) => [revision.revision, revision.change, revision.actor.name]), [[2, 'update', ADMIN.name], [1, 'seed', 'catalogue seed']]);
    assert.equal(history[0]!.previous, before.content);

    const undone = await live.restore('greet.yaml', 1, ADMIN);
    assert.equal(undone.revision, 3);
    assert.equal(undone.change, 'restore');
    assert.equal(live.catalogue.answer('greet', 'en', 0), 'First answer.');
    assert.equal(live.document('greet.yaml')!.content, before.content, 'byte for byte');

    const audit = await db.prisma.auditEvent.findMany({ where: { action: 'catalogue.edit', targetId: 'greet.yaml' }, orderBy: { seq: 'asc' } });
    assert.deepEqual(audit.map((event) => [event.actorName, (event.details as { change: string }).change]), [[ADMIN.name, 'update'], [ADMIN.name, 'restore']]);
  });

  test('the history cannot be changed', async () => {
    await assert.rejects(db.prisma.$executeRawUnsafe('UPDATE "CatalogueRevision" SET content = NULL'), /append-only/);
  });

  test('a change that breaks a rule is refused with file, line and field, and nothing is saved', async () => {
    const current = live.document('order.yaml')!;
    const stolen = intentYaml('order', { examples: [...examples('order', 7), 'greet example number 3'] });
    await assert.rejects(live.save('order.yaml', stolen, current.revision, ADMIN), (error: unknown) => {
      assert.ok(error instanceof CatalogueError);
      assert.equal(error.problems[0]!.file, 'order.yaml');
      assert.equal(error.problems[0]!.field, 'examples[7]');
      assert.equal(error.problems[0]!.line, 13);
      assert.match(error.problems[0]!.message, /also an example of intent "greet"/);
      return true;
    });
    await assert.rejects(live.save('order.yaml', 'name: [unclosed', current.revision, ADMIN), (error: unknown) => error instanceof CatalogueError && error.problems[0]!.line === 1);
    assert.equal(live.document('order.yaml')!.revision, current.revision);
  });

  test('a save over a newer revision is a conflict', async () => {
    const current = live.document('order.yaml')!;
    await assert.rejects(live.save('order.yaml', current.content!, current.revision - 1, ADMIN), RevisionConflictError);
    await assert.rejects(live.save('greet.yaml', intentYaml('greet'), 0, ADMIN), RevisionConflictError, 'creating what exists');
  });

  test('adding, retiring and changing examples mark the model stale; another process follows every change', async () => {
    const follower = await LiveCatalogue.open({ store: new CatalogueStore(db.prisma), logger });
    await follower.follow(db.url);
    const changed = new Promise<readonly string[]>((resolve) => follower.onChange(resolve));
    try {
      const added = await live.save('refund.yaml', intentYaml('refund'), 0, ADMIN);
      assert.equal(added.change, 'create');
      assert.equal(added.examplesChanged, true);
      assert.deepEqual(await changed, ['refund.yaml']);
      assert.ok(follower.catalogue.get('refund'), 'the other process serves the new intent');
      assert.equal((await live.lastExamplesChange())?.path, 'refund.yaml');

      const retired = await live.retire('refund.yaml', added.revision, ADMIN);
      assert.equal(retired.content, null);
      assert.equal(live.catalogue.get('refund'), undefined);
      await assert.rejects(live.retire('refund.yaml', retired.revision, ADMIN), CatalogueError);
    } finally {
      await follower.close();
    }
  });
});
