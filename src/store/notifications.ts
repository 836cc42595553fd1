import pg from 'pg';
import type { Logger } from '../observability/logger.ts';

export interface Subscription {
  close(): Promise<void>;
}

export interface ListenOptions {
  databaseUrl: string;
  /** A constant identifier (it is not quoted). */
  channel: string;
  logger: Logger;
  onNotification(payload: string): void;
  /** Notifications sent while the connection was lost are gone: the caller catches up here. */
  onReconnect(): void;
}

const RETRY_MS = 1_000;

/** Follows a Postgres NOTIFY channel on a connection of its own, reconnecting after a loss. */
export async function listen(options: ListenOptions): Promise<Subscription> {
  let client: pg.Client | null = null;
  let closed = false;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: options.databaseUrl });
    next.on('notification', (message) => {
      if (message.channel === options.channel) options.onNotification(message.payload ?? '');
    });
    next.on('error', (error) => {
      options.logger.warn({ err: error, channel: options.channel }, 'lost a Postgres listener; reconnecting');
      if (client === next) client = null;
      void next.end().catch(() => {});
      retry();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${options.channel}`);
    } catch (error) {
      await next.end().catch(() => {});
      throw error;
    }
    if (closed) await next.end().catch(() => {});
    else client = next;
  };

  const retry = (): void => {
    if (closed) return;
    setTimeout(() => {
      connect().then(
        () => !closed && options.onReconnect(),
        (error: unknown) => {
          options.logger.warn({ err: error, channel: options.channel }, 'reconnecting a Postgres listener failed');
          retry();
        },
      );
    }, RETRY_MS).unref();
  };

  await connect();
  return {
    async close() {
      closed = true;
      await client?.end().catch(() => {});
      client = null;
    },
  };
}
