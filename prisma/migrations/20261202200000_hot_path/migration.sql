-- The report rollups' cost per message (issue 22, bench:load; docs/performance.md).
--
-- 1. Every message written added to one counter row of its day, intent, version and language, and
--    every visitor message and every bot message without an intent to the same one: each writer
--    held that row's lock until its commit (WAL flush included), so concurrent writers (the visitor
--    message batch, the bot reply batch, the replies to waiting visitors, agents) queued behind each
--    other: 70 ms a statement at 500 msg/s. The counters are now split by the writing connection
--    ("shard" = its backend pid modulo 8): two connections rarely share a row. A report adds the
--    rows up, as it already does over days and groups.
-- 2. Every bot reply upserted its conversation's "ReportConversation" row, a statement planned
--    anew each time, and rewrote the row even when nothing in it changed, which ran that table's
--    update trigger with two more: the upsert now runs only when a message adds to the row (a
--    static check), leaves an unchanged row alone, and triggers with nothing to do return before
--    any dynamic statement.

ALTER TABLE "ReportMessageDay" ADD COLUMN "shard" SMALLINT NOT NULL DEFAULT 0;
DROP INDEX "ReportMessageDay_day_intent_modelVersionId_language_key";
CREATE UNIQUE INDEX "ReportMessageDay_day_intent_modelVersionId_language_shard_key"
  ON "ReportMessageDay"("day", "intent", "modelVersionId", "language", "shard") NULLS NOT DISTINCT;

ALTER TABLE "ReportConversationDay" ADD COLUMN "shard" SMALLINT NOT NULL DEFAULT 0;
DROP INDEX "ReportConversationDay_day_kind_key_key";
CREATE UNIQUE INDEX "ReportConversationDay_day_kind_key_shard_key" ON "ReportConversationDay"("day", "kind", "key", "shard") NULLS NOT DISTINCT;

-- The writing connection's shard of the counters.
CREATE FUNCTION report_shard() RETURNS SMALLINT LANGUAGE sql STABLE AS $fn$ SELECT (pg_backend_pid() % 8)::smallint $fn$;

-- As in 20261201300000_report_rollups, in the writing connection's shard.
CREATE OR REPLACE FUNCTION report_conversation_day_sql(source TEXT, sign INTEGER) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($q$
  INSERT INTO "ReportConversationDay" AS d ("day", "kind", "key", "shard", "conversations", "contained", "csat1", "csat2", "csat3", "csat4", "csat5")
  SELECT (r."createdAt" AT TIME ZONE 'UTC')::date, k.kind, k.key, report_shard(),
    %2$s * count(*),
    %2$s * count(*) FILTER (WHERE NOT (r.assigned OR r.status IN ('waiting_for_agent', 'agent') OR r."handoffAt" IS NOT NULL OR r."agentAt" IS NOT NULL)),
    %2$s * count(*) FILTER (WHERE r.csat = 1), %2$s * count(*) FILTER (WHERE r.csat = 2), %2$s * count(*) FILTER (WHERE r.csat = 3),
    %2$s * count(*) FILTER (WHERE r.csat = 4), %2$s * count(*) FILTER (WHERE r.csat = 5)
  FROM (%1$s) r
  CROSS JOIN LATERAL (
    SELECT 'language' AS kind, r.language AS key
    UNION ALL SELECT 'intent', x FROM unnest(CASE WHEN r.intents = '{}' THEN '{NULL}'::text[] ELSE r.intents END) x
    UNION ALL SELECT 'modelVersion', x::text FROM unnest(CASE WHEN r."modelVersionIds" = '{}' THEN '{NULL}'::uuid[] ELSE r."modelVersionIds" END) x
  ) k
  GROUP BY 1, 2, 3
  ORDER BY 1, 2, 3
  ON CONFLICT ("day", "kind", "key", "shard") DO UPDATE SET
    "conversations" = d."conversations" + excluded."conversations", "contained" = d."contained" + excluded."contained",
    "csat1" = d."csat1" + excluded."csat1", "csat2" = d."csat2" + excluded."csat2", "csat3" = d."csat3" + excluded."csat3",
    "csat4" = d."csat4" + excluded."csat4", "csat5" = d."csat5" + excluded."csat5"
$q$, source, sign)
$fn$;

CREATE OR REPLACE FUNCTION report_message_day_sql(source TEXT, sign INTEGER) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($q$
  INSERT INTO "ReportMessageDay" AS d ("day", "intent", "modelVersionId", "language", "shard", "visitors", "bot", "answers", "agents", "handoffs",
    "clarifications", "retrievals", "unanswered", "unsure", "thumbsUp", "thumbsDown")
  SELECT (m.at AT TIME ZONE 'UTC')::date, m.intent, m."modelVersionId", m.language, report_shard(),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.role = 'visitor'),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.role = 'bot'),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.role = 'bot' AND m."replyToId" IS NOT NULL),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.role = 'agent'),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.source = 'handoff'),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.source = 'clarify'),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.source = 'retrieval'),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.role = 'bot' AND m."replyToId" IS NOT NULL
      AND (m.source = 'clarify' OR (m.source = 'handoff' AND m.intent IS NULL))),
    %2$s * count(*) FILTER (WHERE m.thumb IS NULL AND m.role = 'bot' AND m."replyToId" IS NOT NULL
      AND NOT (m.source = 'clarify' OR (m.source = 'handoff' AND m.intent IS NULL)) AND (m.source <> 'retrieval' AND m.confidence < 0.5)),
    %2$s * count(*) FILTER (WHERE m.thumb = 'up'),
    %2$s * count(*) FILTER (WHERE m.thumb = 'down')
  FROM (%1$s) m
  GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT ("day", "intent", "modelVersionId", "language", "shard") DO UPDATE SET
    "visitors" = d."visitors" + excluded."visitors", "bot" = d."bot" + excluded."bot", "answers" = d."answers" + excluded."answers",
    "agents" = d."agents" + excluded."agents", "handoffs" = d."handoffs" + excluded."handoffs",
    "clarifications" = d."clarifications" + excluded."clarifications", "retrievals" = d."retrievals" + excluded."retrievals",
    "unanswered" = d."unanswered" + excluded."unanswered", "unsure" = d."unsure" + excluded."unsure",
    "thumbsUp" = d."thumbsUp" + excluded."thumbsUp", "thumbsDown" = d."thumbsDown" + excluded."thumbsDown"
$q$, source, sign)
$fn$;

-- As in 20261201300000_report_rollups, but a row whose values would not change is not rewritten
-- (the last condition), so its update trigger has nothing to do.
CREATE OR REPLACE FUNCTION report_conversation_sql(source TEXT, messages TEXT, replace BOOLEAN) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($q$
  INSERT INTO "ReportConversation" AS r ("id", "createdAt", "language", "csat", "status", "assigned", "resolvedAt", "handoffAt", "agentAt", "intents", "modelVersionIds")
  SELECT c.id, c."createdAt", c.language, c.csat, c.status, c."assigneeId" IS NOT NULL, c."resolvedAt",
    e."handoffAt", e."agentAt", COALESCE(e.intents, '{}'), COALESCE(e.versions, '{}')
  FROM (%1$s) c
  LEFT JOIN (
    SELECT m."conversationId" AS id,
      min(m."createdAt") FILTER (WHERE m.source = 'handoff') AS "handoffAt",
      min(m."createdAt") FILTER (WHERE m.source = 'agent') AS "agentAt",
      array_agg(DISTINCT m.intent ORDER BY m.intent) FILTER (WHERE m.role = 'bot' AND m.intent IS NOT NULL) AS intents,
      array_agg(DISTINCT m."modelVersionId" ORDER BY m."modelVersionId") FILTER (WHERE m.role = 'bot' AND m."modelVersionId" IS NOT NULL) AS versions
    FROM (%2$s) m
    WHERE m.source IN ('handoff', 'agent') OR (m.role = 'bot' AND (m.intent IS NOT NULL OR m."modelVersionId" IS NOT NULL))
    GROUP BY 1
  ) e ON e.id = c.id
  ORDER BY c.id
  ON CONFLICT ("id") DO UPDATE SET
    "createdAt" = excluded."createdAt", "language" = excluded."language", "csat" = excluded."csat", "status" = excluded."status",
    "assigned" = excluded."assigned", "resolvedAt" = excluded."resolvedAt",
    "handoffAt" = CASE WHEN %3$L THEN excluded."handoffAt" ELSE LEAST(r."handoffAt", excluded."handoffAt") END,
    "agentAt" = CASE WHEN %3$L THEN excluded."agentAt" ELSE LEAST(r."agentAt", excluded."agentAt") END,
    "intents" = CASE WHEN %3$L OR r."intents" = '{}' THEN excluded."intents" WHEN excluded."intents" <@ r."intents" THEN r."intents"
      ELSE ARRAY(SELECT DISTINCT x FROM unnest(r."intents" || excluded."intents") x ORDER BY x) END,
    "modelVersionIds" = CASE WHEN %3$L OR r."modelVersionIds" = '{}' THEN excluded."modelVersionIds" WHEN excluded."modelVersionIds" <@ r."modelVersionIds" THEN r."modelVersionIds"
      ELSE ARRAY(SELECT DISTINCT x FROM unnest(r."modelVersionIds" || excluded."modelVersionIds") x ORDER BY x) END
  WHERE %3$L
    OR (r."createdAt", r."language", r."csat", r."status", r."assigned", r."resolvedAt") IS DISTINCT FROM
      (excluded."createdAt", excluded."language", excluded."csat", excluded."status", excluded."assigned", excluded."resolvedAt")
    OR excluded."handoffAt" < r."handoffAt" OR (r."handoffAt" IS NULL AND excluded."handoffAt" IS NOT NULL)
    OR excluded."agentAt" < r."agentAt" OR (r."agentAt" IS NULL AND excluded."agentAt" IS NOT NULL)
    OR NOT excluded."intents" <@ r."intents" OR NOT excluded."modelVersionIds" <@ r."modelVersionIds"
$q$, source, messages, replace)
$fn$;

-- As in 20261201300000_report_rollups; the conversations' rows are written only when a message adds
-- to them (a conversation's first handoff or agent's message, an intent or version new to it): not
-- for visitor messages, nor for the bot's further answers of intents it gave before. The check is a
-- static statement (planned once per connection); the upsert is planned at every run.
CREATE OR REPLACE FUNCTION report_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM 1 FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  EXECUTE report_message_day_sql(format('SELECT %s FROM new_rows m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language')), 1);
  IF EXISTS (
    SELECT 1 FROM new_rows m LEFT JOIN "ReportConversation" r ON r.id = m."conversationId"
    WHERE (m.source IN ('handoff', 'agent') OR (m.role = 'bot' AND (m.intent IS NOT NULL OR m."modelVersionId" IS NOT NULL)))
      AND (r.id IS NULL
        OR (m.source = 'handoff' AND (r."handoffAt" IS NULL OR m."createdAt" < r."handoffAt"))
        OR (m.source = 'agent' AND (r."agentAt" IS NULL OR m."createdAt" < r."agentAt"))
        OR (m.role = 'bot' AND m.intent IS NOT NULL AND NOT m.intent = ANY (r.intents))
        OR (m.role = 'bot' AND m."modelVersionId" IS NOT NULL AND NOT m."modelVersionId" = ANY (r."modelVersionIds")))
  ) THEN
    EXECUTE report_conversation_sql(
      'SELECT * FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM new_rows m WHERE m.source IN (''handoff'', ''agent'') OR (m.role = ''bot'' AND (m.intent IS NOT NULL OR m."modelVersionId" IS NOT NULL)))',
      'SELECT * FROM new_rows', false);
  END IF;
  RETURN NULL;
END
$fn$;

-- As in 20261201300000_report_rollups; nothing changed in what the days count: no statement.
CREATE OR REPLACE FUNCTION report_summaries_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o."createdAt", o.language, o.csat, o.intents, o."modelVersionIds",
        o.assigned OR o.status IN (''waiting_for_agent'', ''agent'') OR o."handoffAt" IS NOT NULL OR o."agentAt" IS NOT NULL)
      IS DISTINCT FROM (n."createdAt", n.language, n.csat, n.intents, n."modelVersionIds",
        n.assigned OR n.status IN (''waiting_for_agent'', ''agent'') OR n."handoffAt" IS NOT NULL OR n."agentAt" IS NOT NULL)';
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  EXECUTE report_conversation_day_sql(format('SELECT o.* %s', changed), -1);
  EXECUTE report_conversation_day_sql(format('SELECT n.* %s', changed), 1);
  RETURN NULL;
END
$fn$;
