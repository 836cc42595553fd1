-- Transcript search's GIN index with its pending list again (issue 22, docs/performance.md), now
-- merged by the server about once a second (src/store/search-index.ts) instead of by whichever
-- insert finds it full. Without the list (20261202700000_search_index_direct) every word of every
-- message went into the index as it was written: a bot reply cost about 80 WAL records (30 kB),
-- and the WAL a new 16 MB segment every two seconds at 500 messages a second, each a pause.
ALTER INDEX "Message_text_search_idx" SET (fastupdate = on);
