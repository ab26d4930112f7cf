import pino, { type Logger, type Level } from 'pino';

/**
 * Structured JSON logs to stdout. Credentials never reach a log line: authorization headers, passwords and
 * tokens are redacted wherever they appear in logged objects.
 */
export function createLogger(level: Level | 'silent' = 'info'): Logger {
  return pino({
    level,
    base: { service: 'berth' },
    redact: {
      paths: ['*.authorization', '*.password', '*.token', '*.secret', 'req.headers.authorization', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export type { Logger };
