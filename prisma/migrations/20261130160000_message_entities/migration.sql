-- Entities found in a visitor message (issue 17): `[{ type, value, text, start, end }]`, shown to
-- agents. Null when the message has none. Personal ones (e-mail, phone) never leave through exports.
ALTER TABLE "Message" ADD COLUMN "entities" JSONB;
