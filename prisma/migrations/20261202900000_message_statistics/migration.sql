-- No planner statistics for what no query filters on (issue 22, docs/performance.md): the replies'
-- details and the messages' entities (JSON) and the words of transcript search's index. ANALYZE of
-- "Message" computed them from 30,000 sampled rows every time autovacuum looked (every 10 s while a
-- new install fills up): 550 ms of a core, 330 ms without the index's words, about 200 ms without the
-- JSON too; a search then estimates its matches with Postgres's default and still uses the index.
ALTER TABLE "Message" ALTER COLUMN "details" SET STATISTICS 0;
ALTER TABLE "Message" ALTER COLUMN "entities" SET STATISTICS 0;
ALTER INDEX "Message_text_search_idx" ALTER COLUMN 1 SET STATISTICS 0;
