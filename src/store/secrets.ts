import { randomBytes } from 'node:crypto';
import type { PrismaClient } from './prisma.ts';
import { guarded } from './errors.ts';

/**
 * A secret shared by every server process: created once (first writer wins) and read back,
 * so tokens signed by one process verify in another and after restarts.
 */
export async function sharedSecret(prisma: PrismaClient, name: string): Promise<string> {
  return guarded(async () => {
    const candidate = randomBytes(32).toString('base64url');
    await prisma.$executeRaw`INSERT INTO "ServerSecret" (name, value) VALUES (${name}, ${candidate}) ON CONFLICT (name) DO NOTHING`;
    const stored = await prisma.serverSecret.findUniqueOrThrow({ where: { name } });
    return stored.value;
  });
}
