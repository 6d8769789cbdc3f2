import type { Logger } from 'pino';

/**
 * Logs a processor's failure on an event at most once per second per processor: every failure is
 * counted (`failed`), a failing engine must not flood the log. Used on both threads.
 */
export function failureLogger(logger: Logger): (processor: string, error: unknown) => void {
  const lastLogged = new Map<string, number>();
  return (processor, error) => {
    const now = Date.now();
    if ((lastLogged.get(processor) ?? 0) + 1000 > now) return;
    lastLogged.set(processor, now);
    logger.error(
      { err: error, processor },
      'processor failed on an event (counted as failed; further failures this second not logged)',
    );
  };
}
