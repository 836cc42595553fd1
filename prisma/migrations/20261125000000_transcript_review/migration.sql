-- AlterTable (transcript review: an agent confirms the bot's uncorrected intents up to reviewedAt)
ALTER TABLE "Conversation" ADD COLUMN "reviewedAt" TIMESTAMPTZ(3),
ADD COLUMN "reviewedById" UUID;

-- CreateIndex
CREATE INDEX "Conversation_reviewedAt_idx" ON "Conversation"("reviewedAt");

-- AddForeignKey
ALTER TABLE "Conversation" ADD CONSTRAINT "Conversation_reviewedById_fkey" FOREIGN KEY ("reviewedById") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;
