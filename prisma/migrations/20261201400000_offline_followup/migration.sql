-- Availability and the offline follow-up (issue 20; src/availability, src/store/availability-store.ts).

-- A handover while nobody can answer asks the visitor for an e-mail address: when the bot asked,
-- and the address given, to which agents' later replies are e-mailed too. An erasure clears both.
ALTER TABLE "Conversation" ADD COLUMN "followupAskedAt" TIMESTAMPTZ(3);
ALTER TABLE "Conversation" ADD COLUMN "followupEmail" TEXT;

-- Agents' presence: one row per open console connection, in whichever process holds it. An agent
-- is available while one of their connections says so and was seen within the heartbeat timeout;
-- a process that dies leaves rows that simply go stale.
CREATE TABLE "AgentPresence" (
    "socketId" TEXT NOT NULL,
    "agentId" UUID NOT NULL,
    "available" BOOLEAN NOT NULL,
    "lastSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "AgentPresence_pkey" PRIMARY KEY ("socketId")
);
CREATE INDEX "AgentPresence_agentId_idx" ON "AgentPresence"("agentId");
ALTER TABLE "AgentPresence" ADD CONSTRAINT "AgentPresence_agentId_fkey" FOREIGN KEY ("agentId") REFERENCES "Agent"("id") ON DELETE CASCADE ON UPDATE CASCADE;
