-- Agents' tools (issue 20): canned replies, internal notes and attachments. None of them is a
-- "Message": training, reports, the answer harvest and the bot's pending answers read messages only,
-- so a note or an attachment can never reach a model or be answered by the bot.

-- Canned replies: shared (ownerId NULL, admins manage them) or an agent's own. A shortcut is unique
-- (case-insensitive) among the shared ones and among each agent's own; an agent's own wins over a
-- shared one of the same shortcut in the console.
CREATE TABLE "CannedReply" (
    "id" UUID NOT NULL,
    "shortcut" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "ownerId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CannedReply_pkey" PRIMARY KEY ("id")
);
-- An expression index that Prisma cannot describe.
CREATE UNIQUE INDEX "CannedReply_owner_shortcut_key" ON "CannedReply" (COALESCE("ownerId", '00000000-0000-0000-0000-000000000000'::uuid), lower("shortcut"));
ALTER TABLE "CannedReply" ADD CONSTRAINT "CannedReply_ownerId_fkey" FOREIGN KEY ("ownerId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Internal notes: agents only, never sent to the visitor.
CREATE TABLE "ConversationNote" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "agentId" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ConversationNote_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "ConversationNote_conversationId_createdAt_idx" ON "ConversationNote"("conversationId", "createdAt");
ALTER TABLE "ConversationNote" ADD CONSTRAINT "ConversationNote_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "ConversationNote" ADD CONSTRAINT "ConversationNote_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Attachments: what a visitor or an agent sent, its type as checked from its content; the bytes
-- live in a blob store under "blobKey" (src/attachments/blob-store.ts; by default "AttachmentBlob").
CREATE TABLE "Attachment" (
    "id" UUID NOT NULL,
    "conversationId" UUID NOT NULL,
    "role" "MessageRole" NOT NULL,
    "agentId" UUID,
    "fileName" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "size" INTEGER NOT NULL,
    "blobKey" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Attachment_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "Attachment_conversationId_createdAt_idx" ON "Attachment"("conversationId", "createdAt");
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
ALTER TABLE "Attachment" ADD CONSTRAINT "Attachment_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- The Postgres blob store's bytes.
CREATE TABLE "AttachmentBlob" (
    "key" TEXT NOT NULL,
    "data" BYTEA NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AttachmentBlob_pkey" PRIMARY KEY ("key")
);
