-- CreateEnum
CREATE TYPE "ConversationStatus" AS ENUM ('bot', 'waiting_for_agent', 'agent', 'resolved');

-- CreateEnum
CREATE TYPE "MessageRole" AS ENUM ('visitor', 'bot', 'agent');

-- CreateEnum
CREATE TYPE "ReplySource" AS ENUM ('intent', 'retrieval', 'clarify', 'handoff', 'agent');

-- CreateEnum
CREATE TYPE "Rating" AS ENUM ('up', 'down');

-- CreateEnum
CREATE TYPE "ModelStatus" AS ENUM ('candidate', 'active', 'retired', 'rejected');

-- CreateEnum
CREATE TYPE "AgentRole" AS ENUM ('agent', 'admin');

-- CreateEnum
CREATE TYPE "KnowledgeKind" AS ENUM ('document', 'agent_answer');

-- CreateTable
CREATE TABLE "Visitor" (
    "id" UUID NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Visitor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Conversation" (
    "id" UUID NOT NULL,
    "visitorId" UUID NOT NULL,
    "status" "ConversationStatus" NOT NULL DEFAULT 'bot',
    "assigneeId" UUID,
    "consecutiveFallbacks" INTEGER NOT NULL DEFAULT 0,
    "waitingSince" TIMESTAMPTZ(3),
    "csat" INTEGER,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "resolvedAt" TIMESTAMPTZ(3),

    CONSTRAINT "Conversation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Message" (
    "id" UUID NOT NULL,
    "seq" BIGSERIAL NOT NULL,
    "conversationId" UUID NOT NULL,
    "role" "MessageRole" NOT NULL,
    "text" TEXT NOT NULL,
    "clientId" TEXT,
    "replyToId" UUID,
    "source" "ReplySource",
    "intent" TEXT,
    "confidence" DOUBLE PRECISION,
    "modelVersionId" UUID,
    "latencyMs" DOUBLE PRECISION,
    "details" JSONB,
    "agentId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Message_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Feedback" (
    "id" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "rating" "Rating" NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Feedback_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IntentLabel" (
    "id" UUID NOT NULL,
    "messageId" UUID NOT NULL,
    "intent" TEXT NOT NULL,
    "agentId" UUID,
    "origin" TEXT NOT NULL DEFAULT 'agent',
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IntentLabel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ModelVersion" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "encoder" TEXT NOT NULL,
    "status" "ModelStatus" NOT NULL DEFAULT 'candidate',
    "artifactPath" TEXT NOT NULL,
    "metrics" JSONB NOT NULL,
    "thresholds" JSONB NOT NULL,
    "report" JSONB,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "promotedAt" TIMESTAMPTZ(3),

    CONSTRAINT "ModelVersion_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "KnowledgeChunk" (
    "id" UUID NOT NULL,
    "label" SERIAL NOT NULL,
    "kind" "KnowledgeKind" NOT NULL,
    "source" TEXT NOT NULL,
    "title" TEXT,
    "question" TEXT,
    "text" TEXT NOT NULL,
    "contentHash" TEXT NOT NULL,
    "encoder" TEXT,
    "embedding" BYTEA,
    "deletedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "KnowledgeChunk_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Agent" (
    "id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" "AgentRole" NOT NULL DEFAULT 'agent',
    "passwordHash" TEXT NOT NULL,
    "disabledAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Agent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ServerSecret" (
    "name" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ServerSecret_pkey" PRIMARY KEY ("name")
);

-- CreateIndex
CREATE INDEX "Conversation_visitorId_createdAt_idx" ON "Conversation"("visitorId", "createdAt");

-- CreateIndex
CREATE INDEX "Conversation_status_waitingSince_idx" ON "Conversation"("status", "waitingSince");

-- CreateIndex
CREATE UNIQUE INDEX "Message_seq_key" ON "Message"("seq");

-- CreateIndex
CREATE INDEX "Message_conversationId_seq_idx" ON "Message"("conversationId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "Message_conversationId_clientId_key" ON "Message"("conversationId", "clientId");

-- CreateIndex
CREATE UNIQUE INDEX "Feedback_messageId_key" ON "Feedback"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "IntentLabel_messageId_key" ON "IntentLabel"("messageId");

-- CreateIndex
CREATE UNIQUE INDEX "ModelVersion_name_key" ON "ModelVersion"("name");

-- CreateIndex
CREATE INDEX "ModelVersion_status_idx" ON "ModelVersion"("status");

-- CreateIndex
CREATE UNIQUE INDEX "KnowledgeChunk_label_key" ON "KnowledgeChunk"("label");

-- CreateIndex
CREATE UNIQUE INDEX "KnowledgeChunk_kind_source_contentHash_key" ON "KnowledgeChunk"("kind", "source", "contentHash");

-- CreateIndex
CREATE UNIQUE INDEX "Agent_email_key" ON "Agent"("email");

-- AddForeignKey
ALTER TABLE "Conversation" ADD CONSTRAINT "Conversation_visitorId_fkey" FOREIGN KEY ("visitorId") REFERENCES "Visitor"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Conversation" ADD CONSTRAINT "Conversation_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_conversationId_fkey" FOREIGN KEY ("conversationId") REFERENCES "Conversation"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_modelVersionId_fkey" FOREIGN KEY ("modelVersionId") REFERENCES "ModelVersion"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Message" ADD CONSTRAINT "Message_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Feedback" ADD CONSTRAINT "Feedback_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IntentLabel" ADD CONSTRAINT "IntentLabel_messageId_fkey" FOREIGN KEY ("messageId") REFERENCES "Message"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IntentLabel" ADD CONSTRAINT "IntentLabel_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE SET NULL ON UPDATE CASCADE;
