import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Message texts and secrets are redacted wherever they might be logged,
 * so that error logs never carry what a visitor typed. On a terminal, and only there, the same
 * records are printed as readable lines.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'frontdesk' },
      redact: { paths: ['text', '*.text', 'password', '*.password', 'token', '*.token', 'visitorToken', '*.visitorToken', 'databaseUrl'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? (process.stdout.isTTY ? readableLines(process.stdout) : undefined),
  );
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** `12:00:01 INFO  frontdesk is serving url=http://…`, with an error's stack on the lines below. */
function readableLines(out: NodeJS.WriteStream): pino.DestinationStream {
  return {
    write(line: string) {
      const { time, level, msg, service: _service, err, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const details = Object.entries(fields).map(([key, value]) => ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join('');
      const stack = err ? `\n  ${String((err as { stack?: unknown }).stack ?? JSON.stringify(err)).replaceAll('\n', '\n  ')}` : '';
      out.write(`${String(time).slice(11, 19)} ${(LEVEL_NAMES[level as number] ?? String(level)).padEnd(5)} ${msg ?? ''}${details}${stack}\n`);
    },
  };
}
