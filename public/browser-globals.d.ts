// What the browser code finds in scope besides the DOM, declared for the type check only
// (tsconfig.browser.json); src/gateway/static.ts serves no .ts file.
import type { io as socketIo } from 'socket.io-client';
import type { RetryableErrorCode } from '../src/gateway/protocol.ts';
import type { Chart as ChartJs } from 'chart.js';

declare global {
  /**
   * The Socket.IO client that ships with the server: the console loads it from
   * /console/vendor/socket.io.min.js, and /widget.js bundles it (src/gateway/static.ts).
   */
  const io: typeof socketIo;
  /** public/widget/widget.css, which src/gateway/static.ts puts into /widget.js. */
  const WIDGET_CSS: string;
  /** src/gateway/protocol.ts's list, which src/gateway/static.ts puts into /widget.js. */
  const RETRYABLE_ERROR_CODES: readonly RetryableErrorCode[];

  /** Chart.js, which the console loads from /console/vendor/chart.umd.min.js for its Reports tab (src/gateway/static.ts). */
  const Chart: typeof ChartJs;

  /** What public/console/app.js lends the console's other scripts (reports.js). */
  interface FrontdeskConsole {
    /** The agent REST API (`/api/agent…`, JSON) with this tab's session; a refusal throws an error with its `code`. */
    api<T = unknown>(path: string, options?: { method?: string; body?: unknown }): Promise<T>;
    /** Creates an element; strings become text nodes, never HTML. */
    h<K extends keyof HTMLElementTagNameMap>(
      tag: K,
      props: ({ class?: string; dataset?: Record<string, string> } & Record<string, unknown>) | null,
      ...children: Array<ConsoleContent | ConsoleContent[]>
    ): HTMLElementTagNameMap[K];
    messageOf(error: unknown): string;
    /** The session's token, for a request that `api` cannot make (a download). */
    token(): string | null;
    /** The `/agent` connection, once signed in. */
    socket(): import('socket.io-client').Socket | null;
    /** The open conversation's id. */
    selected(): string | null;
  }
  type ConsoleContent = Node | string | number | null | undefined | false;

  interface DocumentEventMap {
    /** The console switched to the tab named in `detail`. */
    'console:tab': CustomEvent<string | undefined>;
    /** The `/agent` connection was made (app.js), for agent-tools.js. */
    'console:socket': CustomEvent<import('socket.io-client').Socket>;
    /** The open transcript's messages were drawn (#messages, one item per message, in this order). */
    'console:messages': CustomEvent<{ conversationId: string; createdAt: string[]; canReply: boolean }>;
  }

  interface Window {
    frontdeskConsole?: FrontdeskConsole;
    /** Lets the host page open and close the widget (docs/widget.md). */
    FrontdeskWidget?: Readonly<{ open(): void; close(): void; toggle(): void; identify(customerToken: string | null): void }>;
  }
}
