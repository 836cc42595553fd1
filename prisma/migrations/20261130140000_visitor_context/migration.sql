-- Who agents talk to (issue 15): what the host page tells about the visitor, and where and in what
-- the conversation happens. Written with the first message of a connection, never at the handshake.
ALTER TABLE "Visitor" ADD COLUMN "name" TEXT;
ALTER TABLE "Visitor" ADD COLUMN "email" TEXT;
ALTER TABLE "Conversation" ADD COLUMN "language" TEXT;
ALTER TABLE "Conversation" ADD COLUMN "page" TEXT;
ALTER TABLE "Conversation" ADD COLUMN "userAgent" TEXT;
