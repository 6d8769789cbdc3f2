import { Wt1Error } from '../errors.js';

/** What JetStream answers to a publish: an acknowledgement or an API error. */
export interface PubAckReply {
  stream?: string;
  seq?: number;
  duplicate?: boolean;
  error?: { code: number; err_code?: number; description?: string };
}

/** Thrown by `write` while the buffer is full: the queue counts the event as failed. */
export const BUFFER_FULL = new Wt1Error(
  'WT1_ERR_ENGINE_BUFFER_FULL',
  'the NATS engine buffer (maxBufferedEvents) is full; event dropped',
);

/** JetStream API errors that no retry can fix (the message itself is refused). */
export function isPermanent(code: number): boolean {
  return code >= 400 && code < 500 && code !== 408;
}

/** A publish that got no acknowledgement in time, or a negative one. */
export class PublishError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
    this.name = 'PublishError';
  }
}
