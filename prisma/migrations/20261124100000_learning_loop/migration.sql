-- CreateTable
CREATE TABLE "EvaluationExample" (
    "id" UUID NOT NULL,
    "text" TEXT NOT NULL,
    "intent" TEXT NOT NULL,
    "messageId" UUID,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "EvaluationExample_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "EvaluationExample_messageId_key" ON "EvaluationExample"("messageId");
