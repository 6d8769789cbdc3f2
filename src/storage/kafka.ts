import { randomBytes } from 'node:crypto';
import type { Producer } from '@platformatic/kafka';
import type { EngineContext, EngineDescriptor, FlushResult, StorageEngine } from './engine.js';
import type { TrackedEvent } from '../event/event.js';
import { eventToJson } from './event-json.js';
import { Wt1Error } from '../errors.js';
import { safeInstanceId } from '../logfile/naming.js';
import { FailureStreak } from './failure-streak.js';
import { backoffDelay } from '../util/backoff.js';

/** The header carrying each message's id: a reader drops a replayed copy by it. */
export const MESSAGE_ID_HEADER = 'wt1-msg-id';

export const kafkaEngine: EngineDescriptor = {
  name: 'kafka',
  wt1ClassNames: ['com.dataiku.wt1.storage.KafkaStorageProcessor'],
  params: {
    brokers: { type: 'list', default: [], required: true, origin: 'WT1', description: 'Kafka brokers to bootstrap from, comma-separated host:port' },
    topic: { type: 'string', default: 'wt1', origin: 'WT1', description: 'topic each event is sent to (created by the broker on first use when it allows it)' },
    acks: { type: 'enum', values: ['0', '1', 'all', '-1'], default: '0', origin: 'WT1', description: 'acknowledgement asked of the broker: 0 none (WT1\'s default: an event is counted saved once written to the socket), 1 the leader, all (or -1) every in-sync replica (the sane choice)' },
    retries: { type: 'int', default: 0, min: 0, max: 100, origin: 'WT1', description: 'quick retries of a failed request inside the client; past them the events go back to the buffer and are sent again when the broker answers' },
    linger: { type: 'number', default: 1, min: 0, max: 60_000, origin: 'WT1', description: 'milliseconds to wait for more events before sending a batch that is not full' },
    'batch.size': { type: 'int', default: 16_384, min: 1, origin: 'WT1', description: 'bytes of messages waiting that make a request go at once, without waiting for linger' },
    'buffer.memory': { type: 'int', default: 4_194_304, min: 1024, origin: 'WT1', description: 'bytes of messages accepted and not yet acknowledged (in flight included); past it new events are dropped and counted' },
    decodeParams: { type: 'bool', default: false, origin: 'WT1', description: 'params as JSON objects (numbers typed) instead of raw query strings' },
    maxRequestSize: { type: 'int', default: 524_288, min: 1024, origin: 'wt1', description: 'bytes of messages in one produce request, at most (one larger event goes alone); keep it under the broker\'s message.max.bytes' },
    maxInFlight: { type: 'int', default: 1, min: 1, max: 1024, origin: 'wt1', description: 'produce requests awaiting their answer, at most; above 1 a request sent again after a failure lands after later ones, so one visitor\'s events may be out of order' },
    requestTimeout: { type: 'number', default: 30, min: 0.1, origin: 'wt1', description: 'seconds a produce request may wait for its answer before its events are sent again' },
    connectTimeout: { type: 'number', default: 10, min: 0.1, origin: 'wt1', description: 'seconds the first connection may take at start before the start fails' },
    reconnectWait: { type: 'number', default: 2, min: 0.01, origin: 'wt1', description: 'longest pause (seconds) between two attempts while the broker is unreachable' },
  },
  validate: checkParams,
  create(params, context) {
    return new KafkaStorage(params as unknown as KafkaParams, context);
  },
};

interface KafkaParams {
  brokers: string[];
  topic: string;
  acks: '0' | '1' | 'all' | '-1';
  retries: number;
  linger: number;
  'batch.size': number;
  'buffer.memory': number;
  maxRequestSize: number;
  decodeParams: boolean;
  maxInFlight: number;
  requestTimeout: number;
  connectTimeout: number;
  reconnectWait: number;
}

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

function checkParams(params: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  for (const broker of params.brokers as string[]) {
    if (!parseBroker(broker)) problems.push(`storage.params.brokers: ${JSON.stringify(broker)} is not host:port (e.g. kafka1:9092,kafka2:9092)`);
  }
  const topic = params.topic as string;
  if (!TOPIC.test(topic) || topic === '.' || topic === '..') {
    problems.push(`storage.params.topic: ${JSON.stringify(topic)} is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)`);
  }
  return problems;
}

/** One encoded event, buffered or in flight; `settle` is set for callers waiting for the broker's ack. */
interface Pending {
  readonly key: Buffer | undefined;
  readonly value: Buffer;
  readonly id: string;
  /** Send alone: it was part of a batch the broker refused as too large. */
  solo: boolean;
  readonly settle: ((error?: Error) => void) | undefined;
}

/** Thrown by `write` while the buffer is full: the queue counts the event as failed. */
const BUFFER_FULL = new Wt1Error('WT1_ERR_ENGINE_BUFFER_FULL', 'the Kafka engine buffer (buffer.memory) is full; event dropped');
/** Broker answers that no retry can fix: the message itself is refused. */
const PERMANENT = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE'];

function refusedForGood(error: unknown): boolean {
  const e = error as { findBy?: (key: string, value: unknown) => unknown };
  return PERMANENT.some((id) => Boolean(e.findBy?.('apiId', id)));
}

/**
 * Apache Kafka: one JSON message per event (the keys of WT1's Kafka engine, shared with the NATS
 * engine), keyed by the visitor id so that one visitor's events stay in order in one partition,
 * with a `wt1-msg-id` header (instance, process boot id, sequence) by which a reader can drop the
 * copy of a message sent again after its acknowledgement was lost.
 *
 * `write` never waits for the broker: it encodes the event into a buffer bounded in bytes
 * (`buffer.memory`) and returns. The buffer goes out in produce requests of up to `maxRequestSize`
 * bytes, `linger` ms after the first event or as soon as `batch.size` bytes wait, at most
 * `maxInFlight` requests awaiting their answer. An event counts as saved once the broker acknowledged it (with `acks=0`, once
 * written to the socket). A failed request's events go back to the front and are sent again after
 * a pause that doubles up to `reconnectWait`; meanwhile the buffer fills, and once full `write`
 * throws, so the queue counts new events as failed and the engine counts them `dropped`.
 *
 * Accounting: accepted = savedEvents + pending + lost.
 */
export class KafkaStorage implements StorageEngine {
  private producer: Producer | undefined;
  private buffer: Pending[] = [];
  private head = 0;
  /** Batches that failed, sent again before the buffer, in the order they failed. */
  private readonly retryQueue: Pending[][] = [];
  private bytes = 0;
  private events = 0;
  private inFlight = 0;
  private inFlightBytes = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private pumpScheduled = false;
  private paused = false;
  private resumeTimer: NodeJS.Timeout | undefined;
  private readonly failures = new FailureStreak();
  private reachable = false;
  private closing = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  private readonly idPrefix: string;
  private sequence = 0;
  private readonly acks: number;
  private readonly counters = { accepted: 0, savedEvents: 0, dropped: 0, lost: 0, publishErrors: 0, retries: 0, requests: 0 };

  constructor(private readonly params: KafkaParams, private readonly context: EngineContext) {
    this.idPrefix = `${safeInstanceId(context.instanceId)}-${randomBytes(4).toString('hex')}-`;
    this.acks = params.acks === 'all' || params.acks === '-1' ? -1 : Number(params.acks);
  }

  async open(): Promise<void> {
    const p = this.params;
    // Loaded here, not at start: a collector on another engine never loads the client.
    const { Producer: ProducerClass } = await import('@platformatic/kafka');
    this.producer = new ProducerClass({
      clientId: `wt1 ${this.context.instanceId}`,
      bootstrapBrokers: p.brokers,
      acks: this.acks,
      retries: p.retries,
      retryDelay: Math.min(250, p.reconnectWait * 1000),
      timeout: p.requestTimeout * 1000,
      connectTimeout: Math.min(p.connectTimeout, p.requestTimeout) * 1000,
      requestTimeout: p.requestTimeout * 1000,
      autocreateTopics: true,
      maxInflights: p.maxInFlight,
    });
    const deadline = Date.now() + p.connectTimeout * 1000;
    for (;;) {
      try {
        await this.producer.metadata({ topics: [] });
        break;
      } catch (error) {
        if (Date.now() >= deadline) {
          await this.producer.close().catch(() => undefined);
          throw new Wt1Error('WT1_ERR_ENGINE_UNREACHABLE', `Kafka at ${p.brokers.join(', ')}: ${describe(error)}`, { cause: error });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    this.reachable = true;
    try {
      await this.producer.metadata({ topics: [p.topic], autocreateTopics: true });
    } catch (error) {
      // Reachable, but the topic is not there yet (and the broker does not create topics): events wait in the buffer.
      this.context.logger.warn({ err: error, topic: p.topic }, 'Kafka topic not available yet; events are buffered and sent once it is');
    }
  }

  write(event: TrackedEvent): void {
    this.enqueue(event, undefined);
  }

  /**
   * As `write`, but the promise settles when the broker acknowledged the event (or it is lost):
   * for a durable spool, which removes an event only once the broker has it. `id`, when given
   * (the spool's own id, stable across restarts), is the message id instead of a fresh one.
   */
  deliver(event: TrackedEvent, id?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.enqueue(event, (error) => (error ? reject(error) : resolve()), id);
    });
  }

  private enqueue(event: TrackedEvent, settle: Pending['settle'], id?: string): void {
    if (this.bytes >= this.params['buffer.memory'] || this.closing) {
      this.counters.dropped++;
      throw BUFFER_FULL;
    }
    const value = Buffer.from(JSON.stringify(eventToJson(event, { decodeParams: this.params.decodeParams })));
    const key = event.visitorId ? Buffer.from(event.visitorId) : undefined;
    this.buffer.push({ key, value, id: id ?? this.idPrefix + this.sequence++, solo: false, settle });
    this.bytes += value.length;
    this.events++;
    this.counters.accepted++;
    this.schedule();
  }

  /** Waits (up to requestTimeout) until every accepted event is acknowledged. No files: nothing is named. */
  async flush(): Promise<FlushResult> {
    this.sendNow();
    await this.waitIdle(this.params.requestTimeout * 1000);
    return { published: [] };
  }

  /** Waits for the acknowledgements within 80 % of shutdownTimeout; what is left is counted lost. */
  async close(): Promise<void> {
    this.closing = true;
    this.resume();
    this.sendNow();
    await this.waitIdle(this.context.config.shutdownTimeout * 800);
    this.closed = true;
    if (this.events > 0) {
      this.counters.lost += this.events;
      this.context.logger.error({ lost: this.events }, 'Kafka engine closed with unacknowledged events; they are lost');
      const gone = new Error('the Kafka engine closed before the broker acknowledged the event');
      for (const batch of this.retryQueue) for (const m of batch) m.settle?.(gone);
      for (let i = this.head; i < this.buffer.length; i++) this.buffer[i].settle?.(gone);
      this.retryQueue.length = 0;
      this.buffer = [];
      this.head = this.events = this.bytes = 0;
    }
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    // The client may wait for a connection to a broker that is gone: the shutdown does not.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.producer?.close().catch(() => undefined), new Promise((r) => { timer = setTimeout(r, 2000); })]);
    clearTimeout(timer);
  }

  ready(): boolean {
    return this.reachable && this.bytes < this.params['buffer.memory'];
  }

  stats(): Readonly<Record<string, number>> {
    return {
      ...this.counters,
      pending: this.events,
      pendingBytes: this.bytes,
      inFlightRequests: this.inFlight,
      connected: this.reachable ? 1 : 0,
    };
  }

  /** Sends at once when a batch is full, else after `linger` ms (WT1's, and Kafka's, batching rule). */
  private schedule(): void {
    if (this.bytes - this.inFlightBytes >= this.params['batch.size'] || this.params.linger === 0) {
      this.sendNow();
    } else if (!this.lingerTimer) {
      this.lingerTimer = setTimeout(() => { this.lingerTimer = undefined; this.pump(); }, this.params.linger);
    }
  }

  private sendNow(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // One pass per tick: a burst of writes goes out in full batches.
    setImmediate(() => { this.pumpScheduled = false; this.pump(); });
  }

  private pump(): void {
    if (this.producer && !this.paused && !this.closed) {
      while (this.inFlight < this.params.maxInFlight) {
        const batch = this.retryQueue.shift() ?? this.takeBatch();
        if (!batch) break;
        this.send(this.producer, batch);
      }
    }
    if (this.events === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * What waits, up to maxRequestSize bytes (at least one message; a `solo` one alone): with one
   * request in flight, the events that arrived meanwhile all go in the next one.
   */
  private takeBatch(): Pending[] | undefined {
    if (this.head >= this.buffer.length) return undefined;
    const batch: Pending[] = [];
    let size = 0;
    while (this.head < this.buffer.length) {
      const m = this.buffer[this.head];
      if (batch.length > 0 && (m.solo || size + m.value.length > this.params.maxRequestSize)) break;
      batch.push(m);
      this.head++;
      size += m.value.length;
      if (m.solo) break;
    }
    if (this.head > 4096 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    return batch;
  }

  private send(producer: Producer, batch: Pending[]): void {
    const topic = this.params.topic;
    let size = 0;
    const messages = batch.map((m) => {
      size += m.value.length;
      return { topic, key: m.key, value: m.value, headers: new Map([[Buffer.from(MESSAGE_ID_HEADER), Buffer.from(m.id)]]) };
    });
    this.inFlight++;
    this.inFlightBytes += size;
    this.counters.requests++;
    producer.send({ messages, acks: this.acks }).then(
      () => this.settled(batch, size, undefined),
      (error: unknown) => this.settled(batch, size, error),
    );
  }

  private settled(batch: Pending[], size: number, error: unknown): void {
    this.inFlight--;
    this.inFlightBytes -= size;
    // Close gave up on them (counted lost); a deliver() caller still learns the truth.
    if (this.closed) for (const m of batch) m.settle?.(error === undefined ? undefined : new Error(describe(error)));
    else if (error === undefined) {
      this.done(batch, size, undefined);
      this.counters.savedEvents += batch.length;
      this.reachable = true;
      const failedAttempts = this.failures.succeed();
      if (failedAttempts > 0) this.context.logger.info({ failedAttempts, pending: this.events }, 'Kafka sending resumed');
    } else {
      this.counters.publishErrors++;
      const permanent = refusedForGood(error);
      if (this.failures.fail()) {
        this.context.logger.warn({ err: error, pending: this.events }, permanent ? 'Kafka refused a message; it is lost' : 'Kafka send failed; the events are sent again');
      }
      if (permanent && batch.length === 1) {
        this.counters.lost++;
        this.done(batch, size, error instanceof Error ? error : new Error(String(error)));
      } else {
        // Too large as a batch: each goes alone. Else the broker is away or busy: the same batch again, after a pause.
        if (permanent) for (const m of batch) m.solo = true;
        else this.reachable = false;
        this.counters.retries += batch.length;
        this.retryQueue.push(batch);
        this.pauseFor(backoffDelay(this.failures.inARow, { initialDelay: 50, maxDelay: this.params.reconnectWait * 1000, jitter: false }));
      }
    }
    this.pump();
  }

  private done(batch: Pending[], size: number, error: Error | undefined): void {
    this.events -= batch.length;
    this.bytes -= size;
    for (const m of batch) m.settle?.(error);
  }

  private pauseFor(ms: number): void {
    if (this.paused) return;
    this.paused = true;
    this.resumeTimer = setTimeout(() => this.resume(), ms);
  }

  private resume(): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.paused = false;
    this.pump();
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    if (this.events === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        self.idleWaiters = self.idleWaiters.filter((w) => w !== done);
        resolve();
      }
      this.idleWaiters.push(done);
    });
  }
}

/** The innermost message of the client's nested errors (e.g. "connect ECONNREFUSED 127.0.0.1:9092"). */
function describe(error: unknown): string {
  let e = error as { message?: string; errors?: unknown[]; cause?: unknown } | undefined;
  let last = String(error);
  for (let depth = 0; e && depth < 5; depth++, e = (e.errors?.[e.errors.length - 1] ?? e.cause) as typeof e) if (e.message) last = e.message;
  return last;
}
