import { randomBytes } from 'node:crypto';
import type { Producer } from '@platformatic/kafka';
import type { EngineContext, EngineDescriptor, FlushResult, StorageEngine } from './engine.js';
import type { TrackedEvent } from '../event/event.js';
import { eventToJson } from './event-json.js';
import { Wt1Error } from '../errors.js';
import { safeInstanceId } from '../logfile/naming.js';
import { FailureStreak } from './failure-streak.js';
import { BUFFER_FULL, brokerUnreachable, describe, refusedForGood } from './kafka-errors.js';
import { RoomWaiter } from './room-waiter.js';
import { PublishPause } from './publish-pause.js';
import { IdleWaiters } from './idle-waiters.js';
import { InOrderCount } from './in-order-count.js';
import { KAFKA_PARAMS, checkKafkaParams, type KafkaParams } from './kafka-params.js';

/** The header carrying each message's id: a reader drops a replayed copy by it. */
export const MESSAGE_ID_HEADER = 'wt1-msg-id';

export const kafkaEngine: EngineDescriptor<typeof KAFKA_PARAMS> = {
  name: 'kafka',
  wt1ClassNames: ['com.dataiku.wt1.storage.KafkaStorageProcessor'],
  params: KAFKA_PARAMS,
  validate: checkKafkaParams,
  create(params, context) {
    return new KafkaStorage(params, context);
  },
};

/** One encoded event, buffered or in flight. */
interface Pending {
  readonly key: Buffer | undefined;
  readonly value: Buffer;
  readonly id: string;
  /** Its rank among the events accepted since open (0, 1, ...): the order `confirmed()` counts in. */
  readonly rank: number;
}

/**
 * Apache Kafka: one JSON message per event (the keys of WT1's Kafka engine, shared with the NATS
 * engine), keyed by the visitor id so that one visitor's events stay in order in one partition,
 * with a `wt1-msg-id` header (instance, process boot id, sequence) by which a reader can drop the
 * copy of a message sent again after its acknowledgement was lost.
 *
 * `write` encodes the event into a buffer bounded in bytes (`buffer.memory`) and returns; only when
 * that buffer is full and the broker answers does it wait for room (back-pressure to the queue).
 * The buffer goes out in produce requests of up to `maxRequestSize` bytes, `linger` ms after the
 * first event or as soon as `batch.size` bytes wait, at most `maxInFlight` requests awaiting their
 * answer. An event counts as saved once the broker acknowledged it (with `acks=0`, once written to
 * the socket). A failed request's events go back to the front and are sent again after a pause
 * that doubles up to `reconnectWait`; meanwhile the buffer fills. Once full, while the broker
 * cannot be reached (not while it answers with an error), `write` throws, so the queue counts new
 * events as failed and the engine counts them `dropped`.
 *
 * Accounting: accepted = savedEvents + pending + lost (+ unconfirmedAtClose with ackMode=durable).
 *
 * `ackMode=durable`: the write-ahead spool writes each event with its own stable id (the message id,
 * so a replay after a crash carries the same one) and removes it once `confirmed()` covers it.
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
  private readonly pause: PublishPause;
  private readonly failures = new FailureStreak();
  private reachable = false;
  private readonly room = new RoomWaiter();
  private closing = false;
  private closed = false;
  private readonly idle = new IdleWaiters();
  private readonly idPrefix: string;
  private sequence = 0;
  private readonly acks: number;
  /** Events with a final fate (acknowledged, refused for good), counted in accepted order. */
  private readonly final = new InOrderCount();
  private readonly counters = {
    accepted: 0,
    savedEvents: 0,
    dropped: 0,
    lost: 0,
    unconfirmedAtClose: 0,
    publishErrors: 0,
    retries: 0,
    requests: 0,
  };

  constructor(
    private readonly params: KafkaParams,
    private readonly context: EngineContext,
  ) {
    this.idPrefix = `${safeInstanceId(context.instanceId)}-${randomBytes(4).toString('hex')}-`;
    this.acks = params.acks === 'all' || params.acks === '-1' ? -1 : Number(params.acks);
    this.pause = new PublishPause(params.reconnectWait * 1000, () => this.pump());
  }

  async open(): Promise<void> {
    const p = this.params;
    // Loaded here, not at start: a collector on another engine never loads the client.
    const { Producer: ProducerClass } = await import('@platformatic/kafka');
    this.producer = new ProducerClass({
      clientId: `wt1 ${this.context.instanceId}`,
      bootstrapBrokers: [...p.brokers],
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
          throw new Wt1Error('WT1_ERR_ENGINE_UNREACHABLE', `Kafka at ${p.brokers.join(', ')}: ${describe(error)}`, {
            cause: error,
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    this.reachable = true;
    try {
      await this.producer.metadata({ topics: [p.topic], autocreateTopics: true });
    } catch (error) {
      // Reachable, but the topic is not there yet (and the broker does not create topics): events wait in the buffer.
      this.context.logger.warn(
        { err: error, topic: p.topic },
        'Kafka topic not available yet; events are buffered and sent once it is',
      );
    }
  }

  /**
   * A full buffer waits while the broker answers and drops while it is away: see RoomWaiter. `id`:
   * the durable spool's stable id for this event, sent as the message id instead of a fresh one.
   */
  write(event: TrackedEvent, id?: string): void | Promise<void> {
    if (this.mustWait()) return this.room.wait().then(() => this.write(event, id));
    this.enqueue(event, id);
  }

  private mustWait(): boolean {
    return this.bytes >= this.params['buffer.memory'] && this.reachable && !this.closing;
  }

  /**
   * How many of the events accepted since open have their final fate, counted in accepted order:
   * acknowledged by the broker, or refused for good (counted lost). One request in flight
   * (maxInFlight=1) acknowledges in order; with more, an event acknowledged after a gap waits for it.
   */
  confirmed(): number {
    return this.final.count;
  }

  private enqueue(event: TrackedEvent, id: string | undefined): void {
    if (this.bytes >= this.params['buffer.memory'] || this.closing) {
      // A write from the durable spool (with its id) is kept there and tried again: not dropped.
      if (id === undefined) this.counters.dropped++;
      throw BUFFER_FULL;
    }
    const value = Buffer.from(JSON.stringify(eventToJson(event, { decodeParams: this.params.decodeParams })));
    const key = event.visitorId ? Buffer.from(event.visitorId) : undefined;
    this.buffer.push({ key, value, id: id ?? this.idPrefix + this.sequence++, rank: this.counters.accepted });
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

  /**
   * Waits for the acknowledgements within 80 % of shutdownTimeout; what is left is counted lost
   * (with ackMode=durable: unconfirmedAtClose, as the spool keeps it for the next start).
   */
  async close(): Promise<void> {
    this.closing = true;
    this.room.wake(!this.mustWait());
    this.pause.resume();
    this.sendNow();
    await this.waitIdle(this.context.config.shutdownTimeout * 800);
    this.closed = true;
    if (this.events > 0) {
      if (this.context.config.ackMode === 'durable') {
        this.counters.unconfirmedAtClose += this.events;
        this.context.logger.warn(
          { unconfirmed: this.events },
          'Kafka engine closed with unacknowledged events; the spool sends them again at the next start',
        );
      } else {
        this.counters.lost += this.events;
        this.context.logger.error(
          { lost: this.events },
          'Kafka engine closed with unacknowledged events; they are lost',
        );
      }
      this.retryQueue.length = 0;
      this.buffer = [];
      this.head = this.events = this.bytes = 0;
    }
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.pause.cancel();
    // The client may wait for a connection to a broker that is gone: the shutdown does not.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.producer?.close().catch(() => undefined),
      new Promise((r) => {
        timer = setTimeout(r, 2000);
      }),
    ]);
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
      this.lingerTimer = setTimeout(() => {
        this.lingerTimer = undefined;
        this.pump();
      }, this.params.linger);
    }
  }

  private sendNow(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    // One pass per tick: a burst of writes goes out in full batches.
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.producer && !this.pause.paused && !this.closed) {
      while (this.inFlight < this.params.maxInFlight) {
        const batch = this.retryQueue.shift() ?? this.takeBatch();
        if (!batch) break;
        this.send(this.producer, batch);
      }
    }
    this.idle.wake(this.events === 0);
  }

  /**
   * What waits, up to maxRequestSize bytes (at least one message): with one request in flight, the
   * events that arrived meanwhile all go in the next one.
   */
  private takeBatch(): Pending[] | undefined {
    if (this.head >= this.buffer.length) return undefined;
    const batch: Pending[] = [];
    let size = 0;
    while (this.head < this.buffer.length) {
      const m = this.buffer[this.head];
      if (batch.length > 0 && size + m.value.length > this.params.maxRequestSize) break;
      batch.push(m);
      this.head++;
      size += m.value.length;
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
      return {
        topic,
        key: m.key,
        value: m.value,
        headers: new Map([[Buffer.from(MESSAGE_ID_HEADER), Buffer.from(m.id)]]),
      };
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
    // Close gave up on them (counted lost or left to the spool).
    if (this.closed) return;
    if (error === undefined) {
      this.done(batch, size);
      this.counters.savedEvents += batch.length;
      this.reachable = true;
      const failedAttempts = this.failures.succeed();
      if (failedAttempts > 0)
        this.context.logger.info({ failedAttempts, pending: this.events }, 'Kafka sending resumed');
    } else {
      this.counters.publishErrors++;
      const permanent = refusedForGood(error);
      // An answer (e.g. "unknown topic" while a new topic gets its leader) means the broker is there: a full
      // buffer waits. Taking it for an outage dropped events under load before the topic was ready.
      this.reachable = !brokerUnreachable(error);
      if (this.failures.fail()) {
        this.context.logger.warn(
          { err: error, pending: this.events },
          permanent ? 'Kafka refused a message; it is lost' : 'Kafka send failed; the events are sent again',
        );
      }
      if (permanent && batch.length === 1) {
        this.counters.lost++;
        this.done(batch, size);
      } else {
        // Too large as a batch: each goes alone. Else the broker is away or busy: the same batch again, after a pause.
        if (permanent) for (const m of batch) this.retryQueue.push([m]);
        else this.retryQueue.push(batch);
        this.counters.retries += batch.length;
        this.pause.afterFailure(this.failures.inARow);
      }
    }
    this.room.wake(!this.mustWait());
    this.pump();
  }

  /** The batch's events have their final fate: out of the buffer's count, and counted by `confirmed()`. */
  private done(batch: Pending[], size: number): void {
    this.events -= batch.length;
    this.bytes -= size;
    for (const { rank } of batch) this.final.done(rank);
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    return this.idle.wait(this.events === 0, timeoutMs);
  }
}
