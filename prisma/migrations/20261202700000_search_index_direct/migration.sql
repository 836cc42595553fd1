-- Transcript search's GIN index without a pending list (issue 22, docs/performance.md).
--
-- With fastupdate on (the default), new entries go to a pending list that whichever insert finds it
-- over gin_pending_list_limit (4 MB) merges into the index itself: at 1,000 messages a second that
-- was one statement every 6 seconds merging 12,000 entries while every message behind it waited.
-- Each message's words now go into the index as it is written: a little more per insert, no pauses.
ALTER INDEX "Message_text_search_idx" SET (fastupdate = off);
