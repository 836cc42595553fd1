-- The report rollups' triggers as static SQL (issue 22, docs/performance.md).
--
-- The trigger functions ran the upserts that report_message_day_sql, report_conversation_day_sql
-- and report_conversation_sql write as dynamic statements (EXECUTE), which Postgres parses and plans
-- at every run: with auto_explain, a bot reply batch of 3 spent 2.2 ms in its insert trigger, of
-- which the statements themselves ran 0.3 ms. The same statements are now written into the function
-- bodies here, from the same generators, so PL/pgSQL plans each once per connection and keeps the
-- plan. What every function counts is unchanged.

DO $generate$
DECLARE
  -- The messages whose counted columns changed (report_messages_updated).
  message_changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o."createdAt", o.role, o.source, o.intent, o.confidence, o."replyToId", o."modelVersionId", o."conversationId")
      IS DISTINCT FROM (n."createdAt", n.role, n.source, n.intent, n.confidence, n."replyToId", n."modelVersionId", n."conversationId")';
  -- The conversations' rows whose day counts changed (report_summaries_updated).
  summary_changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o."createdAt", o.language, o.csat, o.intents, o."modelVersionIds",
        o.assigned OR o.status IN (''waiting_for_agent'', ''agent'') OR o."handoffAt" IS NOT NULL OR o."agentAt" IS NOT NULL)
      IS DISTINCT FROM (n."createdAt", n.language, n.csat, n.intents, n."modelVersionIds",
        n.assigned OR n.status IN (''waiting_for_agent'', ''agent'') OR n."handoffAt" IS NOT NULL OR n."agentAt" IS NOT NULL)';
  -- Thumbs whose counted columns changed (report_thumbs_written).
  thumb_changed CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.rating, o."createdAt", o."messageId") IS DISTINCT FROM (n.rating, n."createdAt", n."messageId")';
  thumbs CONSTANT TEXT := 'SELECT %s FROM %s f JOIN "Message" m ON m.id = f."messageId" LEFT JOIN "Conversation" c ON c.id = m."conversationId"';
  -- The messages of conversations whose language changed (report_conversations_updated).
  moved CONSTANT TEXT := 'FROM old_rows o JOIN new_rows n ON n.id = o.id JOIN "Message" m ON m."conversationId" = o.id WHERE o.language IS DISTINCT FROM n.language';
  moved_thumbs CONSTANT TEXT := replace(moved, 'WHERE', 'JOIN "Feedback" f ON f."messageId" = m.id WHERE');
BEGIN
  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_summaries_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  %s;
  RETURN NULL;
END
$body$$f$, report_conversation_day_sql('SELECT * FROM new_rows', 1));

  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_summaries_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM new_rows) THEN
    RETURN NULL;
  END IF;
  %s;
  %s;
  RETURN NULL;
END
$body$$f$,
    report_conversation_day_sql(format('SELECT o.* %s', summary_changed), -1),
    report_conversation_day_sql(format('SELECT n.* %s', summary_changed), 1));

  -- As in 20261202200000_hot_path: the conversations' rows are written only when a message adds to them.
  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM 1 FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
  %s;
  IF EXISTS (
    SELECT 1 FROM new_rows m LEFT JOIN "ReportConversation" r ON r.id = m."conversationId"
    WHERE (m.source IN ('handoff', 'agent') OR (m.role = 'bot' AND (m.intent IS NOT NULL OR m."modelVersionId" IS NOT NULL)))
      AND (r.id IS NULL
        OR (m.source = 'handoff' AND (r."handoffAt" IS NULL OR m."createdAt" < r."handoffAt"))
        OR (m.source = 'agent' AND (r."agentAt" IS NULL OR m."createdAt" < r."agentAt"))
        OR (m.role = 'bot' AND m.intent IS NOT NULL AND NOT m.intent = ANY (r.intents))
        OR (m.role = 'bot' AND m."modelVersionId" IS NOT NULL AND NOT m."modelVersionId" = ANY (r."modelVersionIds")))
  ) THEN
    %s;
  END IF;
  RETURN NULL;
END
$body$$f$,
    report_message_day_sql(format('SELECT %s FROM new_rows m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language')), 1),
    report_conversation_sql(
      'SELECT * FROM "Conversation" WHERE id IN (SELECT "conversationId" FROM new_rows m WHERE m.source IN (''handoff'', ''agent'') OR (m.role = ''bot'' AND (m.intent IS NOT NULL OR m."modelVersionId" IS NOT NULL)))',
      'SELECT * FROM new_rows', false));

  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_messages_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  IF NOT EXISTS (SELECT 1 %s) THEN
    RETURN NULL;
  END IF;
  %s;
  %s;
  %s;
  %s;
  %s;
  RETURN NULL;
END
$body$$f$,
    message_changed,
    report_message_day_sql(format('SELECT %s FROM (SELECT o.* %s) m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language'), message_changed), -1),
    report_message_day_sql(format('SELECT %s FROM (SELECT n.* %s) m LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_message_columns('c.language'), message_changed), 1),
    report_message_day_sql(format('SELECT %s FROM (SELECT o.* %s) m JOIN "Feedback" f ON f."messageId" = m.id LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_thumb_columns('c.language'), message_changed), -1),
    report_message_day_sql(format('SELECT %s FROM (SELECT n.* %s) m JOIN "Feedback" f ON f."messageId" = m.id LEFT JOIN "Conversation" c ON c.id = m."conversationId"', report_thumb_columns('c.language'), message_changed), 1),
    report_conversation_sql(
      format('SELECT * FROM "Conversation" WHERE id IN (SELECT o."conversationId" %1$s UNION SELECT n."conversationId" %1$s)', message_changed),
      format('SELECT * FROM "Message" WHERE "conversationId" IN (SELECT o."conversationId" %1$s UNION SELECT n."conversationId" %1$s)', message_changed), true));

  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_thumbs_written() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  PERFORM 1 FROM "Conversation" WHERE id IN (SELECT m."conversationId" FROM new_rows f JOIN "Message" m ON m.id = f."messageId") ORDER BY id FOR NO KEY UPDATE;
  IF TG_OP = 'UPDATE' THEN
    %s;
    %s;
  ELSE
    %s;
  END IF;
  RETURN NULL;
END
$body$$f$,
    report_message_day_sql(format(thumbs, report_thumb_columns('c.language'), format('(SELECT o.* %s)', thumb_changed)), -1),
    report_message_day_sql(format(thumbs, report_thumb_columns('c.language'), format('(SELECT n.* %s)', thumb_changed)), 1),
    report_message_day_sql(format(thumbs, report_thumb_columns('c.language'), 'new_rows'), 1));

  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_conversations_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  %s;
  RETURN NULL;
END
$body$$f$, report_conversation_sql('SELECT * FROM new_rows', 'SELECT * FROM "Message" WHERE false', false));

  EXECUTE format($f$
CREATE OR REPLACE FUNCTION report_conversations_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
BEGIN
  UPDATE "ReportConversation" r
  SET "createdAt" = n."createdAt", "language" = n.language, "csat" = n.csat, "status" = n.status, "assigned" = n."assigneeId" IS NOT NULL, "resolvedAt" = n."resolvedAt"
  FROM new_rows n
  WHERE r.id = n.id
    AND (r."createdAt", r.language, r.csat, r.status, r.assigned, r."resolvedAt")
      IS DISTINCT FROM (n."createdAt", n.language, n.csat, n.status, n."assigneeId" IS NOT NULL, n."resolvedAt");
  IF EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.language IS DISTINCT FROM n.language) THEN
    %s;
    %s;
    %s;
    %s;
  END IF;
  RETURN NULL;
END
$body$$f$,
    report_message_day_sql(format('SELECT %s %s', report_message_columns('o.language'), moved), -1),
    report_message_day_sql(format('SELECT %s %s', report_message_columns('n.language'), moved), 1),
    report_message_day_sql(format('SELECT %s %s', report_thumb_columns('o.language'), moved_thumbs), -1),
    report_message_day_sql(format('SELECT %s %s', report_thumb_columns('n.language'), moved_thumbs), 1));
END
$generate$;
