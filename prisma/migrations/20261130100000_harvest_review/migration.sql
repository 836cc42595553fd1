-- Harvested agent answers are reviewed before other visitors are served them (issue 14).
-- CreateEnum
CREATE TYPE "ReuseStatus" AS ENUM ('pending', 'approved', 'rejected');

-- AlterTable
ALTER TABLE "KnowledgeChunk" ADD COLUMN "reuseStatus" "ReuseStatus",
ADD COLUMN "reviewedAt" TIMESTAMPTZ(3),
ADD COLUMN "reviewedById" UUID;

-- Answers harvested before this migration were stored verbatim: none is served until a person has
-- reviewed it (the review list shows it redacted, and a decision stores the redacted text), and
-- the vectors made from the raw questions are dropped.
UPDATE "KnowledgeChunk" SET "reuseStatus" = 'pending', "encoder" = NULL, "embedding" = NULL, "titleEmbedding" = NULL WHERE "kind" = 'agent_answer';

-- CreateIndex
CREATE INDEX "KnowledgeChunk_reuseStatus_createdAt_idx" ON "KnowledgeChunk"("reuseStatus", "createdAt");

-- AddForeignKey
ALTER TABLE "KnowledgeChunk" ADD CONSTRAINT "KnowledgeChunk_reviewedById_fkey" FOREIGN KEY ("reviewedById") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;
