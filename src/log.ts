import { pino, stdTimeFunctions, type Logger } from 'pino';

/** pino level label -> Google Cloud Logging severity, so PaaS log viewers sort lines by level. */
const SEVERITY: Readonly<Record<string, string>> = {
  trace: 'DEBUG',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARNING',
  error: 'ERROR',
  fatal: 'CRITICAL',
};

/**
 * Structured JSON logs on stdout (pino): one object per line with `level` (pino's number),
 * `severity` (its name, as Cloud Logging reads it), `time` (ISO 8601, UTC) and `msg`; or
 * human-readable lines for a terminal (`logFormat=pretty`). The hot path does not log: per-event
 * problems are counted, and only summarized here.
 */
export function createLogger(options: { level: string; format: 'json' | 'pretty' }): Logger {
  if (options.format === 'pretty') {
    return pino({
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: process.stdout.isTTY, translateTime: 'SYS:standard' } },
    });
  }
  return pino({
    level: options.level,
    base: { pid: process.pid },
    timestamp: stdTimeFunctions.isoTime,
    formatters: { level: (label, number) => ({ level: number, severity: SEVERITY[label] ?? 'DEFAULT' }) },
  });
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
