-- Data rights, retention and the audit log (issue 21; src/privacy, src/store/data-rights-store.ts,
-- src/store/audit-store.ts).

-- An erased visitor or conversation keeps an anonymous row (ids, timestamps, status, CSAT score), so
-- that aggregate numbers stay; everything personal in and around it is gone. Nothing is written into
-- an erased conversation again, and an erased visitor's context is never stored again.
ALTER TABLE "Visitor" ADD COLUMN "erasedAt" TIMESTAMPTZ(3);
ALTER TABLE "Conversation" ADD COLUMN "erasedAt" TIMESTAMPTZ(3);

-- Partial and expression indexes, which schema.prisma cannot describe (a comment there names them).
-- Finding a visitor by e-mail (either case) or by the shop's customer id.
CREATE INDEX "Visitor_email_lower_idx" ON "Visitor"(lower("email")) WHERE "email" IS NOT NULL;
CREATE INDEX "Conversation_customerEmail_lower_idx" ON "Conversation"(lower("customerEmail")) WHERE "customerEmail" IS NOT NULL;
CREATE INDEX "Conversation_customerId_idx" ON "Conversation"("customerId") WHERE "customerId" IS NOT NULL;
-- Retention (RETENTION_DAYS): the oldest conversations not erased yet, without walking past the
-- erased ones, which pile up at the old end of "Conversation_updatedAt_idx".
CREATE INDEX "Conversation_retention_idx" ON "Conversation"("updatedAt") WHERE "erasedAt" IS NULL;

-- Who did what, when: every agent's and admin's action, the CLI's and the server's own (retention,
-- promotions). Ids only, never a visitor's text, so that an erasure leaves nothing behind here.
CREATE TABLE "AuditEvent" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorKind" TEXT NOT NULL,
    "actorId" UUID,
    "actorName" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "targetKind" TEXT,
    "targetId" TEXT,
    "details" JSONB,

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "AuditEvent_seq_key" ON "AuditEvent"("seq");
CREATE INDEX "AuditEvent_action_seq_idx" ON "AuditEvent"("action", "seq");
CREATE INDEX "AuditEvent_targetId_idx" ON "AuditEvent"("targetId");

-- Append-only, enforced twice: a trigger refuses UPDATE, DELETE and TRUNCATE to every role (the
-- table's owner and superusers included, short of dropping the trigger), and the privileges to do
-- them are taken from the role that runs the migrations (the app's own, frontdesk_app, with the
-- embedded database), from frontdesk_app where it exists, and from PUBLIC.
CREATE FUNCTION "frontdesk_audit_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only: % on "AuditEvent" is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER "AuditEvent_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "AuditEvent"
  FOR EACH STATEMENT EXECUTE FUNCTION "frontdesk_audit_append_only"();

REVOKE UPDATE, DELETE, TRUNCATE ON "AuditEvent" FROM PUBLIC, CURRENT_USER;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'frontdesk_app') THEN
    REVOKE UPDATE, DELETE, TRUNCATE ON "AuditEvent" FROM frontdesk_app;
  END IF;
END
$$;
