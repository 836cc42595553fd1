-- The intent catalogue and the knowledge documents in Postgres (issue 19; src/store/catalogue-store.ts).
-- One row per file of the catalogue folder as it is now, its source text kept byte for byte (so an
-- export gives back the imported files), and every change appended to "CatalogueRevision" with who
-- made it, when, and the text before and after, so that any change can be undone.
CREATE TABLE "CatalogueDocument" (
    -- The path in the catalogue folder: `track_order.yaml`, `_bot.yaml`, `knowledge/shipping.md`.
    "path" TEXT NOT NULL,
    -- NULL: retired (kept for its history and to be restored).
    "content" TEXT,
    "revision" INTEGER NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CatalogueDocument_pkey" PRIMARY KEY ("path")
);

CREATE TABLE "CatalogueRevision" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "path" TEXT NOT NULL,
    "revision" INTEGER NOT NULL,
    -- seed, import, create, update, retire, restore
    "change" TEXT NOT NULL,
    "content" TEXT,
    "previous" TEXT,
    -- The intent's examples changed (or the intent came or went): the model no longer knows the catalogue.
    "examplesChanged" BOOLEAN NOT NULL DEFAULT false,
    "actorKind" TEXT NOT NULL,
    "actorId" UUID,
    "actorName" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CatalogueRevision_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "CatalogueRevision_seq_key" ON "CatalogueRevision"("seq");
CREATE UNIQUE INDEX "CatalogueRevision_path_revision_key" ON "CatalogueRevision"("path", "revision");
CREATE INDEX "CatalogueRevision_examplesChanged_createdAt_idx" ON "CatalogueRevision"("examplesChanged", "createdAt");

-- The history is append-only, as the audit log is: an undo is a new revision, never an edit of an old one.
CREATE FUNCTION "frontdesk_catalogue_history_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the catalogue history is append-only';
END;
$$;
CREATE TRIGGER "CatalogueRevision_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "CatalogueRevision"
  FOR EACH STATEMENT EXECUTE FUNCTION "frontdesk_catalogue_history_append_only"();
