-- Report rollups (src/store/report-store.ts): what a report over whole UTC days adds up, kept by
-- triggers as messages, thumbs and conversations are written, so that a 30-day report reads a few
-- thousand rows instead of every message of the range.
--
-- "ReportMessageDay": per UTC day × the message's intent × model version × its conversation's
-- language, the counters of the messages written that day and of the thumbs given that day (a thumb
-- in the group of its message). A report reads it for the whole days of its range, and the raw
-- tables for the partial days at either end.
-- "ReportConversation": one row per conversation with what the report needs of it: its own columns
-- (copied), when it first got a handoff reply and an agent's message, and the intents and model
-- versions that answered in it; "ReportConversationDay" adds those rows up per UTC day it started.
-- A report reads "ReportConversation" for the partial days and for first-response and resolution
-- times (medians need the values: only conversations an agent answered after a handoff).
--
-- Erasure deletes messages and thumbs: the counters stay (no DELETE triggers), as the anonymous
-- conversation row stays (docs/security.md, "Data rights"). Every trigger is FOR EACH STATEMENT
-- with transition tables, so a bulk insert is one grouped upsert; the upserts add to counters
-- (ON CONFLICT … SET n = n + excluded.n) in key order, so concurrent writers only wait for each other.
--
-- Creating the triggers locks writes to the three tables until this migration commits, so the
-- backfill below sees every row and no write slips between it and the triggers.

CREATE TABLE "ReportMessageDay" (
  "id" BIGSERIAL PRIMARY KEY,
  "day" DATE NOT NULL,
  "intent" TEXT,
  "modelVersionId" UUID,
  "language" TEXT,
  "visitors" INTEGER NOT NULL DEFAULT 0,
  "bot" INTEGER NOT NULL DEFAULT 0,
  "answers" INTEGER NOT NULL DEFAULT 0,
  "agents" INTEGER NOT NULL DEFAULT 0,
  "handoffs" INTEGER NOT NULL DEFAULT 0,
  "clarifications" INTEGER NOT NULL DEFAULT 0,
  "retrievals" INTEGER NOT NULL DEFAULT 0,
  "unanswered" INTEGER NOT NULL DEFAULT 0,
  "unsure" INTEGER NOT NULL DEFAULT 0,
  "thumbsUp" INTEGER NOT NULL DEFAULT 0,
  "thumbsDown" INTEGER NOT NULL DEFAULT 0
);
-- NULLS NOT DISTINCT (which schema.prisma cannot say): a reply without an intent has one row a day.
CREATE UNIQUE INDEX "ReportMessageDay_day_intent_modelVersionId_language_key"
  ON "ReportMessageDay"("day", "intent", "modelVersionId", "language") NULLS NOT DISTINCT;

CREATE TABLE "ReportConversation" (
  "id" UUID PRIMARY KEY,
  "createdAt" TIMESTAMPTZ(3) NOT NULL,
  "language" TEXT,
  "csat" INTEGER,
  "status" "ConversationStatus" NOT NULL,
  "assigned" BOOLEAN NOT NULL,
  "resolvedAt" TIMESTAMPTZ(3),
  "handoffAt" TIMESTAMPTZ(3),
  "agentAt" TIMESTAMPTZ(3),
  "intents" TEXT[] NOT NULL DEFAULT '{}',
  "modelVersionIds" UUID[] NOT NULL DEFAULT '{}'
);
CREATE INDEX "ReportConversation_createdAt_idx" ON "ReportConversation"("createdAt");
-- Conversations an agent wrote in after a handoff: the only ones with first-response and resolution
-- times, which the report sorts for their medians. (Partial: schema.prisma cannot describe it.)
CREATE INDEX "ReportConversation_escalated_idx" ON "ReportConversation"("createdAt")
  INCLUDE ("handoffAt", "agentAt", "status", "resolvedAt", "intents", "modelVersionIds", "language")
  WHERE "handoffAt" IS NOT NULL AND "agentAt" IS NOT NULL;

-- "ReportConversationDay": per UTC day the conversation started × kind of group ('language': its
-- language, which days and weeks add up; 'intent' and 'modelVersion': each that answered in it, NULL
-- for none), how many conversations, how many never reached a person, how many rated 1…5. Kept from
-- "ReportConversation" by the triggers below.
CREATE TABLE "ReportConversationDay" (
  "id" BIGSERIAL PRIMARY KEY,
  "day" DATE NOT NULL,
  "kind" TEXT NOT NULL,
  "key" TEXT,
  "conversations" INTEGER NOT NULL DEFAULT 0,
  "contained" INTEGER NOT NULL DEFAULT 0,
  "csat1" INTEGER NOT NULL DEFAULT 0,
  "csat2" INTEGER NOT NULL DEFAULT 0,
  "csat3" INTEGER NOT NULL DEFAULT 0,
  "csat4" INTEGER NOT NULL DEFAULT 0,
  "csat5" INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX "ReportConversationDay_day_kind_key_key" ON "ReportConversationDay"("day", "kind", "key") NULLS NOT DISTINCT;

-- The upsert into "ReportConversationDay" of rows of `source` ("ReportConversation" r), times `sign`.
-- "Reached a person" is the report's: assigned, waiting or with an agent, a handoff or an agent's message.
CREATE FUNCTION report_conversation_day_sql(source TEXT, sign INTEGER) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($q$
  INSERT INTO "ReportConversationDay" AS d ("day", "kind", "key", "conversations", "contained", "csat1", "csat2", "csat3", "csat4", "csat5")
  SELECT (r."createdAt" AT TIME ZONE 'UTC')::date, k.kind, k.key,
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
  ON CONFLICT ("day", "kind", "key") DO UPDATE SET
    "conversations" = d."conversations" + excluded."conversations", "contained" = d."contained" + excluded."contained",
    "csat1" = d."csat1" + excluded."csat1", "csat2" = d."csat2" + excluded."csat2", "csat3" = d."csat3" + excluded."csat3",
    "csat4" = d."csat4" + excluded."csat4", "csat5" = d."csat5" + excluded."csat5"
$q$, source, sign)
$fn$;

CREATE FUNCTION report_summaries_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE report_conversation_day_sql('SELECT * FROM new_rows', 1);
  RETURN NULL;
END
$fn$;

-- A conversation's row changed in what the day counts: out with the old, in with the new.
CREATE FUNCTION report_summaries_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o."createdAt", o.language, o.csat, o.intents, o."modelVersionIds",
        o.assigned OR o.status IN (''waiting_for_agent'', ''agent'') OR o."handoffAt" IS NOT NULL OR o."agentAt" IS NOT NULL)
      IS DISTINCT FROM (n."createdAt", n.language, n.csat, n.intents, n."modelVersionIds",
        n.assigned OR n.status IN (''waiting_for_agent'', ''agent'') OR n."handoffAt" IS NOT NULL OR n."agentAt" IS NOT NULL)';
BEGIN
  EXECUTE report_conversation_day_sql(format('SELECT o.* %s', changed), -1);
  EXECUTE report_conversation_day_sql(format('SELECT n.* %s', changed), 1);
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "ReportConversation_day_insert" AFTER INSERT ON "ReportConversation" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_summaries_inserted();
CREATE TRIGGER "ReportConversation_day_update" AFTER UPDATE ON "ReportConversation" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_summaries_updated();

-- The upsert into "ReportMessageDay" of rows of `source` (columns: at, role, source, intent,
-- confidence, "replyToId", "modelVersionId", language, thumb), times `sign`: a row with a thumb
-- counts as a thumb given at `at` in its message's group, else as a message written at `at`. The
-- predicates are those of the report's raw queries, word for word.
CREATE FUNCTION report_message_day_sql(source TEXT, sign INTEGER) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format($q$
  INSERT INTO "ReportMessageDay" AS d ("day", "intent", "modelVersionId", "language", "visitors", "bot", "answers", "agents", "handoffs",
    "clarifications", "retrievals", "unanswered", "unsure", "thumbsUp", "thumbsDown")
  SELECT (m.at AT TIME ZONE 'UTC')::date, m.intent, m."modelVersionId", m.language,
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
  ON CONFLICT ("day", "intent", "modelVersionId", "language") DO UPDATE SET
    "visitors" = d."visitors" + excluded."visitors", "bot" = d."bot" + excluded."bot", "answers" = d."answers" + excluded."answers",
    "agents" = d."agents" + excluded."agents", "handoffs" = d."handoffs" + excluded."handoffs",
    "clarifications" = d."clarifications" + excluded."clarifications", "retrievals" = d."retrievals" + excluded."retrievals",
    "unanswered" = d."unanswered" + excluded."unanswered", "unsure" = d."unsure" + excluded."unsure",
    "thumbsUp" = d."thumbsUp" + excluded."thumbsUp", "thumbsDown" = d."thumbsDown" + excluded."thumbsDown"
$q$, source, sign)
$fn$;

-- Messages as rows of that source: `m` a message, `c` its conversation (or a language given instead).
CREATE FUNCTION report_message_columns(language TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format('m."createdAt" AS at, m.role, m.source, m.intent, m.confidence, m."replyToId", m."modelVersionId", %s AS language, NULL::"Rating" AS thumb', language)
$fn$;
-- Thumbs `f` on messages `m`.
CREATE FUNCTION report_thumb_columns(language TEXT) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
SELECT format('f."createdAt" AS at, m.role, m.source, m.intent, m.confidence, m."replyToId", m."modelVersionId", %s AS language, f.rating AS thumb', language)
$fn$;

-- The upsert into "ReportConversation" of the conversations of `source` (rows "Conversation" c):
-- their columns, and with `messages` (rows "Message" m of them) what those messages add. `replace`:
-- the message columns are set from `messages` (recounted), else merged with what the row has.
CREATE FUNCTION report_conversation_sql(source TEXT, messages TEXT, replace BOOLEAN) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $fn$
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
$q$, source, messages, replace)
$fn$;

-- Messages written: their counters, and their conversations' rows.
-- A writer first locks the conversations it writes in (in id order, as an UPDATE of them would), so
-- that a change of their language either waits for it or is seen by it.
CREATE FUNCTION report_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM 1 FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  EXECUTE report_message_day_sql(format('SELECT %s FROM new_rows m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language')), 1);
  EXECUTE report_conversation_sql(
    'SELECT * FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM new_rows m WHERE m.source IN (''handoff'', ''agent'') OR (m.role = ''bot'' AND (m.intent IS NOT NULL OR m."modelVersionId" IS NOT NULL)))',
    'SELECT * FROM new_rows', false);
  RETURN NULL;
END
$fn$;

-- Messages changed in what the report counts (rare: entities are what changes): out with the old
-- row, in with the new one, their thumbs too; their conversations' rows recounted.
CREATE FUNCTION report_messages_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o."createdAt", o.role, o.source, o.intent, o.confidence, o."replyToId", o."modelVersionId", o."conversationId")
      IS DISTINCT FROM (n."createdAt", n.role, n.source, n.intent, n.confidence, n."replyToId", n."modelVersionId", n."conversationId")';
  counted BOOLEAN;
BEGIN
  EXECUTE format('SELECT EXISTS (SELECT 1 %s)', changed) INTO counted;
  IF NOT counted THEN
    RETURN NULL;
  END IF;
  EXECUTE report_message_day_sql(format('SELECT %s FROM (SELECT o.* %s) m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language'), changed), -1);
  EXECUTE report_message_day_sql(format('SELECT %s FROM (SELECT n.* %s) m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language'), changed), 1);
  EXECUTE report_message_day_sql(format('SELECT %s FROM (SELECT o.* %s) m JOIN "Feedback" f ON f."messageId" = m.id LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_thumb_columns('c.language'), changed), -1);
  EXECUTE report_message_day_sql(format('SELECT %s FROM (SELECT n.* %s) m JOIN "Feedback" f ON f."messageId" = m.id LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_thumb_columns('c.language'), changed), 1);
  EXECUTE report_conversation_sql(
    format('SELECT * FROM "Conversation" WHERE id IN (SELECT o."conversationId" %1$s UNION SELECT n."conversationId" %1$s)', changed),
    format('SELECT * FROM "Message" WHERE "conversationId" IN (SELECT o."conversationId" %1$s UNION SELECT n."conversationId" %1$s)', changed), true);
  RETURN NULL;
END
$fn$;

-- Thumbs given: counted on the day given, in their message's group; a thumb changed (the visitor
-- changed their mind): out with the old, in with the new.
CREATE FUNCTION report_thumbs_written() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.rating, o."createdAt", o."messageId") IS DISTINCT FROM (n.rating, n."createdAt", n."messageId")';
  written TEXT := 'new_rows';
  counted CONSTANT TEXT := 'SELECT %s FROM %s f JOIN "Message" m ON m.id = f."messageId" LEFT JOIN "Conversation" c ON c.id = m."conversationId"';
BEGIN
  PERFORM 1 FROM "Conversation" WHERE id IN (SELECT m."conversationId" FROM new_rows f JOIN "Message" m ON m.id = f."messageId") ORDER BY id FOR NO KEY UPDATE;
  IF TG_OP = 'UPDATE' THEN
    EXECUTE report_message_day_sql(format(counted, report_thumb_columns('c.language'), format('(SELECT o.* %s)', changed)), -1);
    written := format('(SELECT n.* %s)', changed);
  END IF;
  EXECUTE report_message_day_sql(format(counted, report_thumb_columns('c.language'), written), 1);
  RETURN NULL;
END
$fn$;

-- Conversations started or changed: their rows; a conversation whose language changed takes its
-- messages' and thumbs' counts from the old language's groups to the new one's.
CREATE FUNCTION report_conversations_inserted() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  EXECUTE report_conversation_sql('SELECT * FROM new_rows', 'SELECT * FROM "Message" WHERE false', false);
  RETURN NULL;
END
$fn$;

CREATE FUNCTION report_conversations_updated() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  moved CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN "Message" m ON m."conversationId" = o.id WHERE o.language IS DISTINCT FROM n.language';
BEGIN
  UPDATE "ReportConversation" r
  SET "createdAt" = n."createdAt", "language" = n.language, "csat" = n.csat, "status" = n.status, "assigned" = n."assigneeId" IS NOT NULL, "resolvedAt" = n."resolvedAt"
  FROM new_rows n
  WHERE r.id = n.id
    AND (r."createdAt", r.language, r.csat, r.status, r.assigned, r."resolvedAt")
      IS DISTINCT FROM (n."createdAt", n.language, n.csat, n.status, n."assigneeId" IS NOT NULL, n."resolvedAt");
  IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.language IS DISTINCT FROM n.language) THEN
    EXECUTE report_message_day_sql(format('SELECT %s %s', report_message_columns('o.language'), moved), -1);
    EXECUTE report_message_day_sql(format('SELECT %s %s', report_message_columns('n.language'), moved), 1);
    EXECUTE report_message_day_sql(format('SELECT %s %s', report_thumb_columns('o.language'), replace(moved, 'WHERE', 'JOIN "Feedback" f ON f."messageId" = m.id WHERE')), -1);
    EXECUTE report_message_day_sql(format('SELECT %s %s', report_thumb_columns('n.language'), replace(moved, 'WHERE', 'JOIN "Feedback" f ON f."messageId" = m.id WHERE')), 1);
  END IF;
  RETURN NULL;
END
$fn$;

CREATE TRIGGER "Message_report_insert" AFTER INSERT ON "Message" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_messages_inserted();
CREATE TRIGGER "Message_report_update" AFTER UPDATE ON "Message" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_messages_updated();
CREATE TRIGGER "Feedback_report_insert" AFTER INSERT ON "Feedback" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_thumbs_written();
CREATE TRIGGER "Feedback_report_update" AFTER UPDATE ON "Feedback" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_thumbs_written();
CREATE TRIGGER "Conversation_report_insert" AFTER INSERT ON "Conversation" REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_conversations_inserted();
CREATE TRIGGER "Conversation_report_update" AFTER UPDATE ON "Conversation" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_conversations_updated();

-- Backfill: what is there now (the triggers above hold writes off until this commits).
DO $backfill$
BEGIN
  EXECUTE report_conversation_sql('SELECT * FROM "Conversation"', 'SELECT * FROM "Message"', true);
  EXECUTE report_message_day_sql(format('SELECT %s FROM "Message" m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language')), 1);
  EXECUTE report_message_day_sql(format('SELECT %s FROM "Feedback" f JOIN "Message" m ON m.id = f."messageId" LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_thumb_columns('c.language')), 1);
END
$backfill$;
