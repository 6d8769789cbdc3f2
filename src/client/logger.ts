/**
 * Where the client reports problems it does not throw (a refused batch, a retry, a batch given up).
 * Pass your own to route them into your logs (e.g. `{ warn: (m, d) => pino.warn(d, m), error: (m, d) => pino.error(d,
 * m) }`).
 */
export interface ClientLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  error(message: string, details?: Record<string, unknown>): void;
}

export const consoleLogger: ClientLogger = {
  warn: (message) => console.warn(message),
  error: (message) => console.error(message),
};

export const silentClientLogger: ClientLogger = { warn: () => {}, error: () => {} };
