import { readFileSync } from 'node:fs';
import pg from 'pg';

/** The embedded Postgres of a test server: its port is line 4 of postmaster.pid. */
export function embeddedDatabaseUrl(dataDir: string): string {
  const lines = readFileSync(`${dataDir}/postgres/postmaster.pid`, 'utf8').split('\n');
  return `postgresql://frontdesk:frontdesk@127.0.0.1:${lines[3]}/frontdesk`;
}

/** Runs one query on a fresh connection, so tests read what the server committed. */
export async function query<T extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}
