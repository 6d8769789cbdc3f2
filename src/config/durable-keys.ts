import type { SpecTable } from './spec.js';

/** `durable.*`: the write-ahead spool of ackMode=durable (src/storage-thread/durable-spool.ts). */
export const DURABLE_KEYS = {
  'durable.maxSpoolBytes': {
    type: 'int',
    default: 1_073_741_824,
    min: 65_536,
    origin: 'wt1',
    description:
      'ackMode=durable with an engine that sends elsewhere (nats, kafka): bytes of events kept on local disk until ' +
      'the server confirms them; past it 503 with Retry-After',
  },
  'durable.spoolDir': {
    type: 'string',
    default: './data/durable-spool',
    origin: 'wt1',
    description:
      'ackMode=durable with an engine that sends elsewhere: folder of the write-ahead spool (one sub-folder per ' +
      'instanceId, so workers never share one)',
  },
} as const satisfies SpecTable;
