/**
 * Every error wt1 raises on purpose, with a stable code. Callers match on `code`, never on the
 * message text. docs/errors.md documents each code (a test checks that it does).
 */
export const ERRORS = {
  WT1_ERR_CONFIG_INVALID: { status: 0, message: 'Invalid configuration' },
  WT1_ERR_CONFIG_FILE: { status: 0, message: 'Cannot read the configuration file' },
  WT1_ERR_ENGINE_UNKNOWN: { status: 0, message: 'Unknown storage engine' },
  WT1_ERR_ENGINE_UNSUPPORTED: { status: 0, message: 'WT1 storage engine not provided by wt1' },
  WT1_ERR_HANDLER_UNKNOWN: { status: 0, message: 'Unknown handler class' },
  WT1_ERR_CLI_USAGE: { status: 0, message: 'Bad command line' },
  WT1_ERR_PORT_IN_USE: { status: 0, message: 'Port in use' },
  WT1_ERR_PORT_DENIED: { status: 0, message: 'Port not allowed' },
  WT1_ERR_HOST_UNAVAILABLE: { status: 0, message: 'Address not on this machine' },
  WT1_ERR_HOST_UNKNOWN: { status: 0, message: 'Unknown host name' },
  WT1_ERR_BAD_REQUEST: { status: 400, message: 'Bad request' },
  WT1_ERR_UNAUTHORIZED: { status: 401, message: 'Unauthorized' },
  WT1_ERR_FORBIDDEN: { status: 403, message: 'Forbidden' },
  WT1_ERR_NOT_FOUND: { status: 404, message: 'Not found' },
  WT1_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed' },
  WT1_ERR_BODY_TIMEOUT: { status: 408, message: 'Request body timed out' },
  WT1_ERR_BODY_TOO_LARGE: { status: 413, message: 'Request body too large' },
  WT1_ERR_JSON_LIMIT: { status: 413, message: 'JSON document past a limit' },
  WT1_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported media type' },
  WT1_ERR_OVERLOADED: { status: 503, message: 'Overloaded' },
  WT1_ERR_NOT_DURABLE: { status: 503, message: 'Not stored durably' },
  WT1_ERR_STORAGE_IO: { status: 500, message: 'Storage I/O error' },
  WT1_ERR_INTERNAL: { status: 500, message: 'Internal error' },
  WT1_ERR_CLUSTER_UNAVAILABLE: { status: 503, message: 'A worker did not answer' },
  WT1_ERR_SHUTDOWN_DEADLINE: { status: 0, message: 'Shutdown deadline exceeded' },
  WT1_ERR_SPOOL_FULL: { status: 0, message: 'Upload spool full' },
  WT1_ERR_ENGINE_BUFFER_FULL: { status: 0, message: 'Storage engine buffer full' },
  WT1_ERR_ENGINE_UNREACHABLE: { status: 0, message: 'Storage engine cannot reach its server' },
} as const;

export type ErrorCode = keyof typeof ERRORS;

export interface Wt1ErrorOptions {
  readonly cause?: unknown;
  /** Headers the HTTP answer to this error carries (`Allow`, `WWW-Authenticate`, `Retry-After`...). */
  readonly headers?: Readonly<Record<string, string>>;
}

export class Wt1Error extends Error {
  readonly code: ErrorCode;
  /** HTTP status to answer with, 0 when the error never reaches a client. */
  readonly status: number;
  /** What went wrong in this case ('' when the code says it all); the message is `<code's message>: <detail>`. */
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  constructor(code: ErrorCode, detail?: string, options?: Wt1ErrorOptions) {
    super(
      detail ? `${ERRORS[code].message}: ${detail}` : ERRORS[code].message,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'Wt1Error';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail ?? '';
    this.headers = options?.headers;
  }
}

/** A configuration error listing every problem found, each naming the key and the bad value. */
export class ConfigError extends Wt1Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super('WT1_ERR_CONFIG_INVALID', problems.length === 1 ? problems[0] : `\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
