import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs on stdout (pino), or human-readable lines for a terminal. The hot path does
 * not log: per-event problems are counted, and only summarized here.
 */
export function createLogger(options: { level: string; format: 'json' | 'pretty' }): Logger {
  if (options.format === 'pretty') {
    return pino({
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:standard' } },
    });
  }
  return pino({ level: options.level, base: { pid: process.pid } });
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
