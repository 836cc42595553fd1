// What the browser code finds in scope besides the DOM, declared for the type check only
// (tsconfig.browser.json); src/gateway/static.ts serves no .ts file.
import type { io as socketIo } from 'socket.io-client';
import type { RetryableErrorCode } from '../src/gateway/protocol.ts';

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

  interface Window {
    /** Lets the host page open and close the widget (docs/widget.md). */
    FrontdeskWidget?: Readonly<{ open(): void; close(): void; toggle(): void; identify(customerToken: string | null): void }>;
  }
}
