-- Who the customer is (issue 17): the claims of the customer token the shop signed, verified at the
-- handshake and written with the first message, like the visitor's context. Null: anonymous.
ALTER TABLE "Conversation" ADD COLUMN "customerId" TEXT;
ALTER TABLE "Conversation" ADD COLUMN "customerEmail" TEXT;
ALTER TABLE "Conversation" ADD COLUMN "customerName" TEXT;
