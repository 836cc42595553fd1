import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs. Message texts and secrets are redacted wherever they might be logged,
 * so that error logs never carry what a visitor typed.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'frontdesk' },
      redact: { paths: ['text', '*.text', 'password', '*.password', 'token', '*.token', 'visitorToken', '*.visitorToken', 'databaseUrl'], censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
