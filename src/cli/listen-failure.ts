import type { ErrorCode } from '../errors.js';

interface ListenFailure {
  readonly code: ErrorCode;
  readonly line: string;
  readonly exitCode: number;
}

/**
 * A start that cannot listen, as one line with a stable code instead of a Node stack. A taken port
 * exits 1 (it may be free on the next try: a restart loop can retry); an address or port this
 * machine will never give exits 2, like any other configuration mistake.
 */
export function listenFailure(error: unknown): ListenFailure | undefined {
  if (!(error instanceof Error)) return undefined;
  const e = error as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const where = e.address === undefined ? '' : ` ${e.address}${e.port === undefined ? '' : `:${e.port}`}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return { code: 'WT1_ERR_PORT_IN_USE', exitCode: 1, line: `${e.message}: the port is taken` };
    case 'EACCES':
    case 'EPERM':
      if (e.syscall !== 'listen' && e.syscall !== 'bind') return undefined;
      return {
        code: 'WT1_ERR_PORT_DENIED',
        exitCode: 2,
        line:
          `cannot listen on${where}: ports below 1024 need privileges (use a port from 1024, e.g. --port 8080, ` +
          `behind a proxy or a port redirect)`,
      };
    case 'EADDRNOTAVAIL':
      return {
        code: 'WT1_ERR_HOST_UNAVAILABLE',
        exitCode: 2,
        line:
          `cannot listen on${where}: the address is not one of this machine's (host / --host / HOST, or ` +
          `metricsHost: one of its addresses, 0.0.0.0 for all, 127.0.0.1 for this machine only)`,
      };
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      if (e.syscall !== 'getaddrinfo') return undefined;
      return {
        code: 'WT1_ERR_HOST_UNKNOWN',
        exitCode: 2,
        line:
          `cannot listen on host ${JSON.stringify(e.hostname ?? '')}: the name does not resolve (host / --host ` +
          `/ HOST, or metricsHost: an IP address, or a name of this machine)`,
      };
    default:
      return undefined;
  }
}
