-- AlterTable
ALTER TABLE "KnowledgeChunk" ADD COLUMN "titleEmbedding" BYTEA;
