import pg from 'pg';

/**
 * Runs `run` while this process holds a cluster-wide advisory lock (a session lock, on a connection
 * of its own, so that the work itself may use any connection); `{ locked: false }` without running
 * it when another process holds the lock. Each job has its own key.
 */
export async function withAdvisoryLock<T>(databaseUrl: string, key: number, run: () => Promise<T>): Promise<{ locked: true; value: T } | { locked: false }> {
  const client = new pg.Client({ connectionString: databaseUrl });
  // A lost connection releases the lock; the job then finds out from its own statements.
  client.on('error', () => {});
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
    if (!rows[0]?.locked) return { locked: false };
    try {
      return { locked: true, value: await run() };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}
