import type { ParamsOf, SpecTable } from '../config/spec.js';

/** `storage.params.*` of the NATS JetStream engine; the params it receives are typed from this table. */
export const NATS_PARAMS = {
  servers: {
    type: 'list',
    default: ['nats://127.0.0.1:4222'],
    origin: 'wt1',
    description: 'NATS server URLs, comma-separated (the client reconnects to any of them)',
  },
  subject: { type: 'string', default: 'wt1.events', origin: 'wt1', description: 'subject each event is published to' },
  stream: {
    type: 'string',
    default: 'WT1',
    origin: 'wt1',
    description: 'JetStream stream created at start when missing, capturing the subject',
  },
  createStream: {
    type: 'bool',
    default: true,
    origin: 'wt1',
    description:
      'create the stream at start when missing (false: leave streams to the operator; one must capture the subject)',
  },
  duplicateWindow: {
    type: 'number',
    default: 120,
    min: 1,
    origin: 'wt1',
    description: 'de-duplication window (seconds) of a stream created by wt1',
  },
  decodeParams: {
    type: 'bool',
    default: false,
    origin: 'WT1',
    description: 'params as JSON objects (numbers typed) instead of raw query strings',
  },
  maxInFlight: {
    type: 'int',
    default: 256,
    min: 1,
    max: 65536,
    origin: 'wt1',
    description: 'messages published and not yet acknowledged, at most',
  },
  maxBufferedEvents: {
    type: 'int',
    default: 10_000,
    min: 1,
    origin: 'wt1',
    description:
      'events accepted and not yet acknowledged (in flight included); when full, writes wait while the ' +
      'server answers, and new events are dropped and counted while it is away',
  },
  publishTimeout: {
    type: 'number',
    default: 5,
    min: 0.05,
    origin: 'wt1',
    description: 'seconds to wait for the acknowledgement of a message before publishing it again (same message id)',
  },
  reconnectWait: {
    type: 'number',
    default: 2,
    min: 0.01,
    origin: 'wt1',
    description: 'seconds between reconnection attempts (also the longest pause between retries)',
  },
  connectTimeout: {
    type: 'number',
    default: 10,
    min: 0.1,
    origin: 'wt1',
    description: 'seconds the first connection may take at start before the start fails',
  },
  credsFile: {
    type: 'string',
    default: '',
    origin: 'wt1',
    description: 'NATS credentials file (.creds: JWT and NKey seed)',
  },
  user: { type: 'string', default: '', origin: 'wt1', description: 'user name (with password)' },
  password: { type: 'string', default: '', origin: 'wt1', description: 'password (with user)' },
  token: { type: 'string', default: '', origin: 'wt1', description: 'authentication token' },
} as const satisfies SpecTable;

export type NatsParams = ParamsOf<typeof NATS_PARAMS>;
