-- Reports (GET /api/agent/reports, src/reports): every figure is computed in SQL over a time range
-- of conversations or messages. Building these on a large existing table blocks writes to it
-- while it runs (migrations run in a transaction, so not CONCURRENTLY): apply it off-peak there.

-- Conversations started in the range, messages written in it, thumbs given in it.
CREATE INDEX "Conversation_createdAt_idx" ON "Conversation"("createdAt");
CREATE INDEX "Message_createdAt_idx" ON "Message"("createdAt");
CREATE INDEX "Feedback_createdAt_idx" ON "Feedback"("createdAt");

-- How many UTC days the rows span, for the planner: without these it takes every timestamp for a
-- group of its own, and counts a day-by-day report without parallel workers.
CREATE STATISTICS "Message_day_stats" ON ((("createdAt" AT TIME ZONE 'UTC')::date)) FROM "Message";
CREATE STATISTICS "Conversation_day_stats" ON ((("createdAt" AT TIME ZONE 'UTC')::date)) FROM "Conversation";

-- Partial indexes, which schema.prisma cannot describe (a comment there names them).
-- The moments a conversation reached a person: the bot's handoff replies and agents' messages
-- (first-response and resolution times, containment), read without touching the table.
CREATE INDEX "Message_escalation_idx" ON "Message"("createdAt") INCLUDE ("conversationId", "source")
  WHERE "source" IN ('handoff', 'agent');

-- The bot's replies to requests it could not answer (a clarification, a handoff without an intent)
-- or answered with a confidence below 0.5 (DEFAULT_LOW_CONFIDENCE, retrieval scores excluded): the
-- top unanswered requests. The report's query repeats this predicate word for word.
CREATE INDEX "Message_unanswered_idx" ON "Message"("createdAt") INCLUDE ("replyToId", "source", "intent")
  WHERE "role" = 'bot' AND ("source" = 'clarify' OR ("source" = 'handoff' AND "intent" IS NULL) OR ("source" <> 'retrieval' AND "confidence" < 0.5));

-- The bot's replies with what answered them: which conversations each intent and each model
-- version answered in (a report grouped by intent or model version), read without the table.
CREATE INDEX "Message_bot_answers_idx" ON "Message"("createdAt") INCLUDE ("conversationId", "intent", "modelVersionId")
  WHERE "role" = 'bot';

-- Labels written since the range began (a label follows its message): the model's accuracy.
CREATE INDEX "IntentLabel_createdAt_idx" ON "IntentLabel"("createdAt");
