-- Form state (issue 17): the intent whose action is collecting slots, the values filled so far and
-- how often each was asked for, written with each bot reply. Null: no form is open.
ALTER TABLE "Conversation" ADD COLUMN "form" JSONB;
