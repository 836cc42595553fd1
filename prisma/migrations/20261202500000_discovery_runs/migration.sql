-- Intent discovery's review runs in Postgres (src/store/discovery-store.ts, docs/discovery.md), so
-- that every server process lists and reviews the same runs whatever its DATA_DIR.
CREATE TABLE "DiscoveryRun" (
    "id" UUID NOT NULL,
    -- running, done, failed
    "status" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    -- The admin who started it (e-mail).
    "createdBy" TEXT NOT NULL,
    -- While running: the process running it and its last sign of life; a run whose process stopped
    -- beating is marked failed by whichever process reads it next.
    "owner" TEXT,
    "heartbeatAt" TIMESTAMPTZ(3),
    -- Options, progress, clusters with their review decisions, the long tail and the redacted
    -- request texts by message id (src/discovery/review.ts DiscoveryRun, less the columns above).
    "document" JSONB NOT NULL,

    CONSTRAINT "DiscoveryRun_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "DiscoveryRun_createdAt_idx" ON "DiscoveryRun"("createdAt");
