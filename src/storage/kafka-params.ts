import type { ParamsOf, SpecTable } from '../config/spec.js';

/** `storage.params.*` of the Kafka engine: WT1's keys, then wt1's own; the params are typed from it. */
export const KAFKA_PARAMS = {
  brokers: {
    type: 'list',
    default: [],
    required: true,
    origin: 'WT1',
    description: 'Kafka brokers to bootstrap from, comma-separated host:port',
  },
  topic: {
    type: 'string',
    default: 'wt1',
    origin: 'WT1',
    description: 'topic each event is sent to (created by the broker on first use when it allows it)',
  },
  acks: {
    type: 'enum',
    values: ['0', '1', 'all', '-1'],
    default: '0',
    origin: 'WT1',
    description:
      "acknowledgement asked of the broker: 0 none (WT1's default: an event is counted saved once written to " +
      'the socket), 1 the leader, all (or -1) every in-sync replica (the sane choice)',
  },
  retries: {
    type: 'int',
    default: 0,
    min: 0,
    max: 100,
    origin: 'WT1',
    description:
      'quick retries of a failed request inside the client; past them the events go back to the buffer and ' +
      'are sent again when the broker answers',
  },
  linger: {
    type: 'number',
    default: 1,
    min: 0,
    max: 60_000,
    origin: 'WT1',
    description: 'milliseconds to wait for more events before sending a batch that is not full',
  },
  'batch.size': {
    type: 'int',
    default: 16_384,
    min: 1,
    origin: 'WT1',
    description: 'bytes of messages waiting that make a request go at once, without waiting for linger',
  },
  'buffer.memory': {
    type: 'int',
    default: 4_194_304,
    min: 1024,
    origin: 'WT1',
    description:
      'bytes of messages accepted and not yet acknowledged (in flight included); when full, the queue waits ' +
      'while the broker answers, and new events are dropped and counted while it is away',
  },
  decodeParams: {
    type: 'bool',
    default: false,
    origin: 'WT1',
    description: 'params as JSON objects (numbers typed) instead of raw query strings',
  },
  maxRequestSize: {
    type: 'int',
    default: 524_288,
    min: 1024,
    origin: 'wt1',
    description:
      "bytes of messages in one produce request, at most (one larger event goes alone); keep it under the broker's " +
      'message.max.bytes',
  },
  maxInFlight: {
    type: 'int',
    default: 1,
    min: 1,
    max: 1024,
    origin: 'wt1',
    description:
      'produce requests awaiting their answer, at most; above 1 a request sent again after a failure lands ' +
      "after later ones, so one visitor's events may be out of order",
  },
  requestTimeout: {
    type: 'number',
    default: 30,
    min: 0.1,
    origin: 'wt1',
    description: 'seconds a produce request may wait for its answer before its events are sent again',
  },
  connectTimeout: {
    type: 'number',
    default: 10,
    min: 0.1,
    origin: 'wt1',
    description: 'seconds the first connection may take at start before the start fails',
  },
  reconnectWait: {
    type: 'number',
    default: 2,
    min: 0.01,
    origin: 'wt1',
    description: 'longest pause (seconds) between two attempts while the broker is unreachable',
  },
} as const satisfies SpecTable;

export type KafkaParams = ParamsOf<typeof KAFKA_PARAMS>;

const BROKER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?):(\d{1,5})$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

/** A broker as host and port, or undefined when the text is not `host:port`. */
export function parseBroker(text: string): { host: string; port: number } | undefined {
  const m = BROKER.exec(text);
  if (!m) return undefined;
  const port = Number(m[1]);
  if (port < 1 || port > 65_535) return undefined;
  const host = text.slice(0, text.length - m[1].length - 1);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/** Problems of brokers and topic that the key types alone cannot see, naming the key and the value. */
export function checkKafkaParams(params: KafkaParams): string[] {
  const problems: string[] = [];
  for (const broker of params.brokers) {
    if (!parseBroker(broker)) {
      problems.push(
        `storage.params.brokers: ${JSON.stringify(broker)} is not host:port (e.g. kafka1:9092,kafka2:9092)`,
      );
    }
  }
  const topic = params.topic;
  if (!TOPIC.test(topic) || topic === '.' || topic === '..') {
    problems.push(
      `storage.params.topic: ${JSON.stringify(topic)} is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)`,
    );
  }
  return problems;
}
