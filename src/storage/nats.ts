import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions, Msg, NatsConnection, NatsError } from 'nats';
import type { EngineContext, EngineDescriptor, FlushResult, StorageEngine } from './engine.js';
import type { TrackedEvent } from '../event/event.js';
import { NATS_PARAMS, type NatsParams } from './nats-params.js';
import { BUFFER_FULL, isPermanent, PublishError, type PubAckReply } from './nats-errors.js';
import { InOrderCount } from './in-order-count.js';
import { RoomWaiter } from './room-waiter.js';
import { eventToJson } from './event-json.js';
import { Wt1Error } from '../errors.js';
import { safeInstanceId } from '../logfile/naming.js';
import { FailureStreak } from './failure-streak.js';
import { RingBuffer } from '../util/ring-buffer.js';
import { PublishPause } from './publish-pause.js';
import { IdleWaiters } from './idle-waiters.js';

export const natsEngine: EngineDescriptor<typeof NATS_PARAMS> = {
  name: 'nats',
  wt1ClassNames: [],
  params: NATS_PARAMS,
  create(params, context) {
    return new NatsStorage(params, context);
  },
};

interface Message {
  readonly id: string;
  readonly data: Uint8Array;
  /** Its number in the order accepted since open (the confirm hook's count). */
  readonly n: number;
}

interface Sent {
  readonly message: Message;
  readonly sentAt: number;
}

/**
 * NATS JetStream: one JSON message per event (the keys of WT1's Kafka engine), with a message id
 * (`Nats-Msg-Id`: instance, process boot id, sequence) so that the stream drops the copy when a
 * message whose acknowledgement was lost is published again.
 *
 * `write` never waits for the broker: it encodes the event into a bounded buffer and returns. The
 * buffer is published asynchronously, at most `maxInFlight` messages awaiting their
 * acknowledgement; a message counts as saved only once acknowledged. Acknowledgements come back on
 * one reply subscription (`INBOX.token`), with one timer sweeping the late ones, rather than one
 * request object, promise and timer per message (a third of the CPU per event, profiled). During
 * an outage the buffer fills (the client reconnects by itself, unacknowledged messages are
 * published again); once
 * `maxBufferedEvents` are waiting, `write` throws, so the queue counts new events as failed and
 * the engine counts them as `dropped`, while the pixel answers as fast as ever. While connected, a
 * full buffer makes `write` wait instead (RoomWaiter), so the JSON API answers 503, not 200.
 *
 * Accounting: accepted = savedEvents (acknowledged) + pending (buffered + in flight) + lost (+ unconfirmedAtClose
 * with ackMode=durable: kept by the write-ahead spool).
 */
export class NatsStorage implements StorageEngine {
  private nc: NatsConnection | undefined;
  private replyPrefix = '';
  private readonly buffer = new RingBuffer<Message>(1024);
  /** Published messages awaiting their acknowledgement, by reply token (insertion = send order). */
  private readonly awaiting = new Map<string, Sent>();
  private nextToken = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly pause: PublishPause;
  private pumpScheduled = false;
  private readonly failures = new FailureStreak();
  private closing = false;
  /** Set once close gave up on the rest: late answers no longer change the counters. */
  private closed = false;
  private connected = false;
  private readonly room = new RoomWaiter();
  private readonly idle = new IdleWaiters();
  private readonly idPrefix: string;
  private sequence = 0;
  /** ackMode=durable: the accepted events with a final fate, counted in order (`confirmed`). */
  private readonly final = new InOrderCount();
  private readonly encoder = new TextEncoder();
  private counters = {
    accepted: 0,
    savedEvents: 0,
    duplicates: 0,
    dropped: 0,
    lost: 0,
    unconfirmedAtClose: 0,
    publishErrors: 0,
    retries: 0,
    reconnects: 0,
  };

  /** The NATS client library, loaded by `open`. */
  private nats!: typeof import('nats');

  constructor(
    private readonly params: NatsParams,
    private readonly context: EngineContext,
  ) {
    this.idPrefix = `${safeInstanceId(context.instanceId)}-${randomBytes(4).toString('hex')}-`;
    this.pause = new PublishPause(params.reconnectWait * 1000, () => this.pump());
  }

  async open(): Promise<void> {
    const p = this.params;
    // The client library is loaded here, not at start: a collector on another engine never loads it.
    const nats = (this.nats = await import('nats'));
    const options: ConnectionOptions = {
      servers: [...p.servers],
      name: `wt1 ${this.context.instanceId}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: p.reconnectWait * 1000,
      timeout: p.connectTimeout * 1000,
      // A stack trace captured per publish would cost more than the rest of the publish (profiled).
      noAsyncTraces: true,
    };
    if (p.credsFile) options.authenticator = nats.credsAuthenticator(await readFile(p.credsFile));
    if (p.user) {
      options.user = p.user;
      options.pass = p.password;
    }
    if (p.token) options.token = p.token;
    try {
      this.nc = await nats.connect(options);
    } catch (error) {
      throw new Wt1Error('WT1_ERR_ENGINE_UNREACHABLE', `NATS at ${p.servers.join(', ')}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    this.connected = true;
    if (p.createStream) await this.ensureStream(this.nc, p.stream);
    this.replyPrefix = nats.createInbox() + '.';
    this.nc.subscribe(this.replyPrefix + '*', {
      callback: (error, msg) => {
        if (!error) this.onReply(msg);
      },
    });
    const sweepMs = Math.max(20, Math.min(1000, (p.publishTimeout * 1000) / 4));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.sweepTimer.unref();
    void this.watchStatus(this.nc);
    void this.nc.closed().then((error) => {
      this.connected = false;
      this.room.wake(true);
      // Reconnection is endless, so this is a refusal (e.g. revoked credentials): events now fill the buffer.
      if (!this.closing)
        this.context.logger.error({ err: error }, 'NATS connection closed for good; events are buffered, then dropped');
    });
  }

  /**
   * A full buffer waits while the server answers and drops while it is away: see RoomWaiter. `id`
   * (ackMode=durable, from the spool, which keeps a refused event and writes it again): the message id.
   */
  write(event: TrackedEvent, id?: string): void | Promise<void> {
    if (this.mustWait()) return this.room.wait().then(() => this.write(event, id));
    if (this.buffer.length + this.awaiting.size >= this.params.maxBufferedEvents || this.closing) {
      if (id === undefined) this.counters.dropped++;
      throw BUFFER_FULL;
    }
    const data = this.encoder.encode(JSON.stringify(eventToJson(event, { decodeParams: this.params.decodeParams })));
    this.buffer.push({ id: id ?? this.idPrefix + this.sequence++, data, n: this.counters.accepted });
    this.counters.accepted++;
    if (!this.pumpScheduled) {
      this.pumpScheduled = true;
      // One pass per tick: a burst of writes goes out as one batch of publishes.
      setImmediate(() => {
        this.pumpScheduled = false;
        this.pump();
      });
    }
  }

  /** Waits (up to publishTimeout) until every accepted event is acknowledged. No files: nothing is named. */
  async flush(): Promise<FlushResult> {
    await this.waitIdle(this.params.publishTimeout * 1000);
    return { published: [] };
  }

  /** Waits for the acknowledgements within 80 % of shutdownTimeout; what is left is counted lost. */
  async close(): Promise<void> {
    this.closing = true;
    this.room.wake(true);
    this.pause.resume();
    await this.waitIdle(this.context.config.shutdownTimeout * 800);
    const left = this.buffer.length + this.awaiting.size;
    this.closed = true;
    if (left > 0) {
      if (this.context.config.ackMode === 'durable') {
        // Not lost: the write-ahead spool keeps them and sends them again (same ids) at the next start.
        this.counters.unconfirmedAtClose += left;
        this.context.logger.warn(
          { unconfirmed: left },
          'NATS engine closed with unacknowledged events; the spool sends them again at the next start',
        );
      } else {
        this.counters.lost += left;
        this.context.logger.error({ lost: left }, 'NATS engine closed with unacknowledged events; they are lost');
      }
      this.buffer.clear();
      this.awaiting.clear();
    }
    this.pause.cancel();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.nc?.close();
  }

  /** The confirm hook (ackMode=durable): accepted events acknowledged or refused for good, in order. */
  confirmed(): number {
    return this.final.count;
  }

  ready(): boolean {
    return this.buffer.length + this.awaiting.size < this.params.maxBufferedEvents;
  }

  private mustWait(): boolean {
    return this.buffer.length + this.awaiting.size >= this.params.maxBufferedEvents && this.connected && !this.closing;
  }

  stats(): Readonly<Record<string, number>> {
    return {
      ...this.counters,
      pending: this.buffer.length + this.awaiting.size,
      buffered: this.buffer.length,
      inFlight: this.awaiting.size,
      connected: this.connected ? 1 : 0,
    };
  }

  private async ensureStream(nc: NatsConnection, stream: string): Promise<void> {
    const jsm = await nc.jetstreamManager();
    try {
      await jsm.streams.info(stream);
      return;
    } catch (error) {
      if ((error as NatsError).api_error?.code !== 404) throw error;
    }
    try {
      await jsm.streams.add({
        name: stream,
        subjects: [this.params.subject],
        duplicate_window: this.nats.nanos(this.params.duplicateWindow * 1000),
      });
      this.context.logger.info({ stream, subject: this.params.subject }, 'created the JetStream stream');
    } catch (error) {
      // Another instance created it at the same moment: fine.
      if ((error as NatsError).api_error?.err_code !== 10058) throw error;
    }
  }

  private async watchStatus(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === this.nats.Events.Disconnect) {
        this.connected = false;
        this.room.wake(true);
        this.context.logger.warn({ server: status.data }, 'NATS connection lost; events are buffered');
      } else if (status.type === this.nats.Events.Reconnect) {
        this.connected = true;
        this.counters.reconnects++;
        this.context.logger.info(
          { server: status.data, pending: this.buffer.length + this.awaiting.size },
          'NATS connection back',
        );
        this.pause.resume();
      }
    }
  }

  /**
   * Publishes buffered messages while fewer than maxInFlight await their acknowledgement; then, if
   * nothing is left (all settled, or the last one refused for good), wakes flush / close.
   */
  private pump(): void {
    this.room.wake(!this.mustWait()); // pump runs after every acknowledgement, timeout and resume
    const nc = this.nc;
    if (nc && !this.pause.paused && !this.closed) this.publishBuffered(nc);
    this.idle.wake(this.buffer.length === 0 && this.awaiting.size === 0);
  }

  private publishBuffered(nc: NatsConnection): void {
    const now = this.context.now();
    while (!this.pause.paused && this.awaiting.size < this.params.maxInFlight) {
      const message = this.buffer.shift();
      if (!message) break;
      const token = (this.nextToken++).toString(36);
      const h = this.nats.headers();
      h.set('Nats-Msg-Id', message.id);
      this.awaiting.set(token, { message, sentAt: now });
      try {
        nc.publish(this.params.subject, message.data, { reply: this.replyPrefix + token, headers: h });
      } catch (error) {
        // Refused by the client itself (closed connection, payload over the server's limit).
        this.awaiting.delete(token);
        const code = (error as Partial<NatsError>).code;
        this.onPublishError(message, error, code === 'MAX_PAYLOAD_EXCEEDED' || code === 'BAD_SUBJECT');
        // Retryable: publishing is now paused, so the loop ends; refused for good: go on with the next.
      }
    }
  }

  /** An answer on the reply subject: JetStream's acknowledgement, or an error status. */
  private onReply(msg: Msg): void {
    if (this.closed) return;
    const token = msg.subject.slice(this.replyPrefix.length);
    const sent = this.awaiting.get(token);
    if (!sent) return; // the answer to an attempt already given up as timed out (its retry is de-duplicated)
    this.awaiting.delete(token);
    if (msg.headers?.hasError) {
      // e.g. 503: no stream captures the subject (yet), or JetStream is not ready after a restart.
      this.onPublishError(
        sent.message,
        new PublishError(`NATS status ${msg.headers.code} ${msg.headers.description}`, false),
        false,
      );
    } else {
      let ack: PubAckReply;
      try {
        ack = msg.json<PubAckReply>();
      } catch {
        ack = { error: { code: 500, description: 'unreadable acknowledgement' } };
      }
      if (ack.error) {
        this.onPublishError(
          sent.message,
          new PublishError(
            `JetStream refused the message: ${ack.error.code} ${ack.error.description ?? ''}`,
            isPermanent(ack.error.code),
          ),
          isPermanent(ack.error.code),
        );
      } else {
        this.counters.savedEvents++;
        this.final.done(sent.message.n);
        if (ack.duplicate) this.counters.duplicates++;
        const failedAttempts = this.failures.succeed();
        if (failedAttempts > 0) this.context.logger.info({ failedAttempts }, 'NATS publishing resumed');
      }
    }
    this.pump();
  }

  /** Messages unacknowledged after publishTimeout are published again (oldest first: the map keeps send order). */
  private sweep(): void {
    if (this.closed || this.awaiting.size === 0) return;
    const limit = this.context.now() - this.params.publishTimeout * 1000;
    const late: Message[] = [];
    for (const [token, sent] of this.awaiting) {
      if (sent.sentAt > limit) break;
      this.awaiting.delete(token);
      late.push(sent.message);
    }
    if (late.length === 0) return;
    // Back to the front of the buffer, keeping their order.
    for (let i = late.length - 1; i >= 0; i--) this.buffer.unshift(late[i]);
    this.counters.retries += late.length;
    this.onPublishError(
      undefined,
      new PublishError(`${late.length} message(s) unacknowledged after ${this.params.publishTimeout} s`, false),
      false,
    );
    this.pump();
  }

  /** Counts a failed attempt; a retryable message goes back to the front and publishing pauses a little. */
  private onPublishError(message: Message | undefined, error: unknown, permanent: boolean): void {
    this.counters.publishErrors++;
    if (this.failures.fail(this.context.now())) {
      this.context.logger.warn(
        { err: error, pending: this.buffer.length + this.awaiting.size + (message ? 1 : 0) },
        permanent ? 'NATS refused a message; it is lost' : 'NATS publish failed; the message is published again',
      );
    }
    if (message) {
      if (permanent) {
        this.counters.lost++;
        this.final.done(message.n);
        return;
      }
      this.counters.retries++;
      this.buffer.unshift(message);
    }
    this.pause.afterFailure(this.failures.inARow);
  }

  private waitIdle(timeoutMs: number): Promise<void> {
    return this.idle.wait(this.buffer.length === 0 && this.awaiting.size === 0, timeoutMs);
  }
}
