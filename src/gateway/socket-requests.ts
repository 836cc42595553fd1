import type { Namespace, Socket } from 'socket.io';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { errorBody, toErrorBody, type ErrorBody } from '../protocol/errors.ts';

export interface SocketRequestOptions {
  logger: Logger;
  /** Counts every request by event and outcome (the visitor side). */
  metrics?: Metrics | undefined;
  /** What a caller should do after a failure that is not theirs (see toErrorBody). */
  retry?: string;
}

/**
 * Guards a namespace's handshake: whatever `admit` throws refuses the connection with
 * `connect_error`, its `message` and `data.code` the stable error code.
 */
export function admitConnections(namespace: Namespace, options: SocketRequestOptions, admit: (socket: Socket) => Promise<void>): void {
  namespace.use(async (socket, next) => {
    try {
      await admit(socket);
      next();
    } catch (error) {
      const body = failure(error, options, { during: 'handshake' });
      next(Object.assign(new Error(body.error.code), { data: body.error }));
    }
  });
}

/**
 * The requests of one socket. `on(event, handler)` answers the request's acknowledgement with what
 * the handler returns, or with `{ ok: false, error }` when it throws; a request without an
 * acknowledgement gets a `protocol_error` event instead, and an unknown event `UNKNOWN_EVENT`.
 */
export function socketRequests(socket: Socket, options: SocketRequestOptions) {
  const known = new Set<string>();
  socket.onAny((event: string, ...args: unknown[]) => {
    if (known.has(event)) return;
    const ack = args.at(-1);
    if (typeof ack === 'function') ack(errorBody('UNKNOWN_EVENT', `Unknown event "${String(event).slice(0, 64)}".`));
  });

  return {
    on(event: string, handler: (payload: unknown) => Promise<unknown>): void {
      known.add(event);
      socket.on(event, async (...args: unknown[]) => {
        const ack = args.at(-1);
        // The payload is optional: `emit(event, ack)` is as valid as `emit(event, {}, ack)`.
        const payload = args.length > 1 || typeof ack !== 'function' ? args[0] : undefined;
        let response: unknown;
        try {
          response = await handler(payload);
          options.metrics?.requests.inc({ event, outcome: 'ok' });
        } catch (error) {
          const body = failure(error, options, { event, socket: socket.id });
          options.metrics?.requests.inc({ event, outcome: body.error.code });
          response = body;
        }
        if (typeof ack === 'function') ack(response);
        else socket.emit('protocol_error', errorBody('INVALID_PAYLOAD', 'Every request needs an acknowledgement callback.'));
      });
    },
  };
}

/** The failure as the caller sees it; what is not the caller's doing is logged. */
function failure(error: unknown, options: SocketRequestOptions, context: Record<string, string>): ErrorBody {
  const body = toErrorBody(error, options.retry);
  if (body.error.code === 'INTERNAL') options.logger.error({ err: error, ...context }, 'request failed');
  else if (body.error.code === 'DATABASE_UNAVAILABLE') options.logger.warn({ err: error, ...context }, 'request failed: database unavailable');
  return body;
}
