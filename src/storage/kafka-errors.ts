import { Wt1Error } from '../errors.js';

/** Thrown by `write` while the buffer is full: the queue counts the event as failed. */
export const BUFFER_FULL = new Wt1Error(
  'WT1_ERR_ENGINE_BUFFER_FULL',
  'the Kafka engine buffer (buffer.memory) is full; event dropped',
);
/** Broker answers that no retry can fix: the message itself is refused. */
const PERMANENT = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'];

export function refusedForGood(error: unknown): boolean {
  const e = error as { findBy?: (key: string, value: unknown) => unknown };
  return PERMANENT.some((id) => Boolean(e.findBy?.('apiId', id)));
}

/**
 * Whether a failed send means the broker could not be reached (connection refused or lost, no
 * answer in time), as opposed to an answer from it (the topic still being created, no leader yet
 * after a restart...). Only the first lets a full buffer drop events: while the broker answers, a
 * full buffer makes writes wait. An error the client does not type counts as unreachable.
 */
export function brokerUnreachable(error: unknown): boolean {
  const e = error as { findBy?: (key: string, value: unknown) => unknown };
  if (typeof e?.findBy !== 'function') return true;
  // The client's NetworkError and TimeoutError share this code.
  return Boolean(e.findBy('code', 'PLT_KFK_NETWORK'));
}

/** The innermost message of the client's nested errors (e.g. "connect ECONNREFUSED 127.0.0.1:9092"). */
export function describe(error: unknown): string {
  let e = error as { message?: string; errors?: unknown[]; cause?: unknown } | undefined;
  let last = String(error);
  for (let depth = 0; e && depth < 5; depth++, e = (e.errors?.[e.errors.length - 1] ?? e.cause) as typeof e)
    if (e.message) last = e.message;
  return last;
}
