-- Visitor tokens are checked against this at every handshake; revoking a visitor's tokens increments it.
ALTER TABLE "Visitor" ADD COLUMN "tokenGeneration" INTEGER NOT NULL DEFAULT 0;
