import { EventBuffer } from './buffer.js';
import { encodeParams, type Params } from './params.js';
import { consoleLogger, type ClientLogger } from './logger.js';
import { sendMessage, type MessageSource, type TransportOptions } from './transport.js';

/** Who the events are about: the message-level fields of `POST /public/events`. */
export interface Identity {
  /** Visitor id; when absent the server makes one per message (`Z` + 32 hex digits). */
  readonly visitorId?: string;
  readonly sessionId?: string;
  /** Visitor and session params, as an object or a query string. */
  readonly vparams?: Params;
  readonly sparams?: Params;
  /** User agent written with the events (default: none, the server then uses the request's). */
  readonly ua?: string;
  readonly clientLang?: string;
}

export interface ClientOptions extends Identity {
  /** The collector's base URL (`https://t.example.com`, `.../wt1`) or the full `.../public/events` URL. */
  readonly url: string;
  /** Send as soon as this many events are buffered (default 100; the server's default limit is 1000). */
  readonly batchSize?: number;
  /** Send buffered events at most this many ms after the first was tracked (default 1000). */
  readonly flushInterval?: number;
  /** Most events held while the collector is unreachable; past it the oldest are dropped (default 10000). */
  readonly maxBufferSize?: number;
  /** Bodies over this many bytes are gzipped (default 1024). */
  readonly gzipThreshold?: number;
  /** Retries of a batch after network errors, timeouts or 5xx, before it is given up (default 10). */
  readonly maxRetries?: number;
  /** First retry delay in ms, doubled at each retry, with jitter (default 200). */
  readonly initialRetryDelay?: number;
  /** Longest retry delay in ms (default 30000). */
  readonly maxRetryDelay?: number;
  /** Abort (and retry) an attempt after this many ms (default 10000). */
  readonly requestTimeout?: number;
  /** Where refused batches, retries and given-up batches are reported (default: console). */
  readonly logger?: ClientLogger;
  /** The fetch to use (default: the global fetch of Node 20). */
  readonly fetch?: typeof fetch;
}

/** One event to track. */
export interface TrackInput extends Identity {
  /** `page` or `event` (default `event`). */
  readonly type?: string;
  /** The page URL (`location` column). */
  readonly page?: string;
  readonly referer?: string;
  /** Custom event params, as an object (encoded for you) or a query string. */
  readonly params?: Params;
  /** Client time in ms since epoch (default: now). */
  readonly clientTS?: number;
}

export interface ClientStats {
  /** Events accepted by track(). */
  readonly tracked: number;
  /** Events the collector answered 200 for. */
  readonly sent: number;
  /** Events dropped to keep within maxBufferSize (the oldest held), or tracked after close(). */
  readonly dropped: number;
  /** Events in batches the collector refused with a 4xx (logged, never retried). */
  readonly rejected: number;
  /** Events in batches given up after every retry failed. */
  readonly failed: number;
  /** Retried attempts. */
  readonly retries: number;
  /** Events held: waiting to be sent, or in a batch being sent or retried. */
  readonly buffered: number;
}

interface WireEvent {
  type: string;
  clientTS: number;
  page?: string;
  referer?: string;
  params?: string;
}

interface Buffered {
  readonly key: string;
  readonly identity: WireIdentity;
  readonly event: WireEvent;
  /** No longer held: dropped from the batch being retried to make room (counted), or done with. */
  released?: boolean;
  /** In a request right now: it cannot be dropped until the answer (it may be delivered). */
  sending?: boolean;
}

type WireIdentity = Partial<Record<'visitorId' | 'sessionId' | 'vparams' | 'sparams' | 'ua' | 'clientLang', string>>;

export interface Wt1Client {
  /**
   * Buffers one event and never waits. Throws a TypeError at once for a field of the wrong type
   * (which the server would refuse, taking the rest of the batch with it); never for network reasons.
   */
  track(event: TrackInput): void;
  /** Sends everything buffered; resolves when it is delivered, refused or given up. */
  flush(): Promise<void>;
  /** Stops accepting events, sends what is buffered (with retries), and resolves with the final counts. */
  close(): Promise<ClientStats>;
  stats(): ClientStats;
}

/**
 * A client of `POST /public/events` for Node servers and apps:
 *
 * ```ts
 * import { createClient } from 'wt1/client';
 * const tracker = createClient({ url: 'https://t.example.com', visitorId: user.id });
 * tracker.track({ type: 'event', page: 'app://checkout', params: { step: 2, total: 42.5 } });
 * await tracker.close();
 * ```
 */
export function createClient(options: ClientOptions): Wt1Client {
  return new BatchingClient(options);
}

class BatchingClient implements Wt1Client {
  private readonly buffer: EventBuffer<Buffered>;
  private readonly maxBufferSize: number;
  /** The batch being sent (with its retries): its events count against maxBufferSize too. */
  private inFlight: Buffered[] = [];
  /** Events of `inFlight` neither dropped nor done with. */
  private inFlightHeld = 0;
  private readonly batchSize: number;
  private readonly flushInterval: number;
  private readonly transport: TransportOptions;
  private readonly defaults: Identity;
  private readonly logger: ClientLogger;
  private timer: NodeJS.Timeout | undefined;
  private pumping: Promise<void> | undefined;
  private closed = false;
  private counts = { tracked: 0, sent: 0, droppedAfterClose: 0, droppedHeld: 0, rejected: 0, failed: 0, retries: 0 };

  constructor(options: ClientOptions) {
    this.batchSize = positiveInt(options.batchSize ?? 100, 'batchSize');
    this.flushInterval = positiveInt(options.flushInterval ?? 1000, 'flushInterval');
    this.maxBufferSize = positiveInt(options.maxBufferSize ?? 10_000, 'maxBufferSize');
    this.buffer = new EventBuffer(this.maxBufferSize);
    this.logger = options.logger ?? consoleLogger;
    this.defaults = options;
    this.transport = {
      endpoint: endpointOf(options.url),
      gzipThreshold: options.gzipThreshold ?? 1024,
      maxRetries: options.maxRetries ?? 10,
      initialDelay: options.initialRetryDelay ?? 200,
      maxDelay: options.maxRetryDelay ?? 30_000,
      requestTimeout: options.requestTimeout ?? 10_000,
      fetch: options.fetch ?? globalThis.fetch,
      logger: this.logger,
    };
  }

  track(input: TrackInput): void {
    if (this.closed) {
      if (this.counts.droppedAfterClose++ === 0) this.logger.warn('wt1 client: track() after close(), event dropped');
      return;
    }
    checkInput(input);
    const identity = wireIdentity(this.defaults, input);
    const event: WireEvent = { type: input.type ?? 'event', clientTS: input.clientTS ?? Date.now() };
    if (input.page !== undefined) event.page = input.page;
    if (input.referer !== undefined) event.referer = input.referer;
    const params = encodeParams(input.params, 'params');
    if (params !== undefined) event.params = params;
    this.counts.tracked++;
    // The bound counts the batch being sent or retried too: past it the oldest event goes.
    if (this.buffer.length + this.inFlightHeld >= this.maxBufferSize) this.makeRoom();
    this.buffer.push({ key: identityKey(identity), identity, event });
    if (this.buffer.length >= this.batchSize) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.flushInterval);
  }

  async flush(): Promise<void> {
    while (this.buffer.length > 0 || this.pumping) {
      this.kick();
      await this.pumping;
    }
  }

  async close(): Promise<ClientStats> {
    this.closed = true;
    await this.flush();
    return this.stats();
  }

  stats(): ClientStats {
    const c = this.counts;
    return {
      tracked: c.tracked,
      sent: c.sent,
      dropped: this.buffer.dropped + c.droppedHeld + c.droppedAfterClose,
      rejected: c.rejected,
      failed: c.failed,
      retries: c.retries,
      buffered: this.buffer.length + this.inFlightHeld,
    };
  }

  /**
   * Drops the oldest event held: from the batch being retried (between two attempts), else the
   * oldest waiting one, since the events of a request under way may yet be delivered. A full buffer
   * drops its own oldest as it takes the new one.
   */
  private makeRoom(): void {
    for (const item of this.inFlight) {
      if (item.released) continue;
      if (item.sending) break;
      item.released = true;
      this.inFlightHeld--;
      this.counts.droppedHeld++;
      return;
    }
    if (this.buffer.length > 0 && this.buffer.length < this.maxBufferSize) {
      this.buffer.take(1);
      this.counts.droppedHeld++;
    }
  }

  /** Starts sending now, unless a send loop already runs (it takes what is buffered when it gets there). */
  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.pumping ??= this.pump().finally(() => {
      this.pumping = undefined;
    });
  }

  /** One batch at a time, in order, until the buffer is empty; a batch is one message per identity. */
  private async pump(): Promise<void> {
    while (this.buffer.length > 0) {
      const batch = this.buffer.take(this.batchSize);
      this.inFlight = batch;
      this.inFlightHeld = batch.length;
      const messages = new Map<string, Buffered[]>();
      for (const item of batch) {
        let m = messages.get(item.key);
        if (!m) messages.set(item.key, (m = []));
        m.push(item);
      }
      try {
        for (const items of messages.values()) {
          const outcome = await sendMessage(messageOf(items), this.transport);
          this.counts.retries += outcome.retries;
          this.counts[outcome.kind] += outcome.events;
          // Done with (sent, refused or given up): no longer held, and never dropped afterwards.
          for (const item of items) {
            if (item.released) continue;
            item.released = true;
            this.inFlightHeld--;
          }
        }
      } finally {
        this.inFlight = [];
        this.inFlightHeld = 0;
      }
    }
  }
}

/** One identity's events of a batch, rebuilt before each attempt without the events dropped meanwhile. */
function messageOf(items: readonly Buffered[]): MessageSource {
  let sending: Buffered[] = [];
  return {
    attempt() {
      sending = items.filter((item) => !item.released);
      if (sending.length === 0) return undefined;
      for (const item of sending) item.sending = true;
      return { message: { ...sending[0].identity, events: sending.map((item) => item.event) }, events: sending.length };
    },
    attemptDone() {
      for (const item of sending) item.sending = false;
    },
  };
}

const STRING_FIELDS = ['type', 'page', 'referer', 'visitorId', 'sessionId', 'ua', 'clientLang'] as const;

function checkInput(input: TrackInput): void {
  if (typeof input !== 'object' || input === null) throw new TypeError('wt1 client: track() takes an object');
  for (const name of STRING_FIELDS) {
    const value = input[name];
    if (value !== undefined && typeof value !== 'string')
      throw new TypeError(`wt1 client: ${name} must be a string, not ${typeof value}`);
  }
  if (input.clientTS !== undefined && (typeof input.clientTS !== 'number' || !Number.isFinite(input.clientTS))) {
    throw new TypeError(`wt1 client: clientTS must be a finite number (ms since epoch), not ${String(input.clientTS)}`);
  }
  for (const name of ['params', 'vparams', 'sparams'] as const) {
    const value = input[name];
    if (
      value !== undefined &&
      typeof value !== 'string' &&
      (typeof value !== 'object' || value === null || Array.isArray(value))
    ) {
      throw new TypeError(`wt1 client: ${name} must be an object or a query string`);
    }
  }
}

function wireIdentity(defaults: Identity, input: Identity): WireIdentity {
  const out: WireIdentity = {};
  const visitorId = input.visitorId ?? defaults.visitorId;
  const sessionId = input.sessionId ?? defaults.sessionId;
  const vparams = encodeParams(input.vparams ?? defaults.vparams, 'vparams');
  const sparams = encodeParams(input.sparams ?? defaults.sparams, 'sparams');
  const ua = input.ua ?? defaults.ua;
  const clientLang = input.clientLang ?? defaults.clientLang;
  if (visitorId !== undefined) out.visitorId = visitorId;
  if (sessionId !== undefined) out.sessionId = sessionId;
  if (vparams !== undefined) out.vparams = vparams;
  if (sparams !== undefined) out.sparams = sparams;
  if (ua !== undefined) out.ua = ua;
  if (clientLang !== undefined) out.clientLang = clientLang;
  return out;
}

function identityKey(identity: WireIdentity): string {
  const { visitorId, sessionId, vparams, sparams, ua, clientLang } = identity;
  return [visitorId, sessionId, vparams, sparams, ua, clientLang].map((v) => v ?? '').join('\u0000');
}

/** `https://t.example.com` and `https://t.example.com/wt1/` become `.../public/events`; a full endpoint URL is kept. */
export function endpointOf(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, '');
  parsed.pathname = path.endsWith('/public/events') ? path : path + '/public/events';
  return parsed.toString();
}

function positiveInt(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`wt1 client: ${name} must be a positive integer, not ${value}`);
  return value;
}
