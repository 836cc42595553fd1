import cliProgress from 'cli-progress';

/** Whether progress goes to a person (a bar) or to logs and pipes (plain lines). */
export const progressOnTerminal = (): boolean => Boolean(process.stderr.isTTY);

/** A progress bar on stderr that starts with its first value and can be stopped any number of times. */
export function terminalBar(format: string): { show(value: number, total: number, payload?: Record<string, string>): void; note(payload: Record<string, string>): void; stop(): void } {
  const bar = new cliProgress.SingleBar({ format, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
  let started = false;
  return {
    show(value, total, payload = {}) {
      if (!started) bar.start(total, value, payload);
      started = true;
      bar.setTotal(total);
      bar.update(value, payload);
    },
    note(payload) {
      if (started) bar.update(payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
