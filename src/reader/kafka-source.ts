import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import type { Message } from '@platformatic/kafka';
import type { TrackedEvent } from '../event/event.js';
import { formatLine, headerLine, type LineColumns } from '../logfile/line-format.js';
import { MESSAGE_ID_HEADER } from '../storage/kafka.js';
import { parseBroker } from '../storage/kafka-params.js';
import type { LogFileRef, LogSource } from './source.js';

/** `kafka://host:port[,host:port...]/topic` as brokers and topic, or undefined. */
export function parseKafkaUrl(url: string): { brokers: string[]; topic: string } | undefined {
  const m = /^kafka:\/\/([^/]+)\/([A-Za-z0-9._-]{1,249})$/.exec(url);
  if (!m) return undefined;
  const brokers = m[1].split(',');
  return brokers.every((b) => parseBroker(b)) ? { brokers, topic: m[2] } : undefined;
}

const COLUMNS: LineColumns = {
  globalVisitorId: true,
  inlinedVisitorParams: [],
  inlinedSessionParams: [],
  inlinedEventParams: [],
};

/**
 * A topic written by the Kafka engine, read back as log files: one per partition, each the
 * partition's events as log lines (in server_ts order), so `wt1 cat` filters, merges and formats
 * them as it does files. A message whose `wt1-msg-id` was already read (a copy sent again after a
 * lost acknowledgement) is skipped. The topic is read up to its end at the time of `list()`, and
 * held in memory meanwhile: meant for inspecting, not for exporting a topic of millions of events.
 */
export class KafkaSource implements LogSource {
  private readonly brokers: string[];
  private readonly topic: string;
  /** Messages that were not JSON events of the engine, after list(). */
  unreadable = 0;
  duplicates = 0;

  constructor(readonly name: string) {
    const parsed = parseKafkaUrl(name);
    if (!parsed) throw new Error(`not a kafka://host:port/topic URL: ${name}`);
    this.brokers = parsed.brokers;
    this.topic = parsed.topic;
  }

  async list(): Promise<LogFileRef[]> {
    const { Consumer, stringDeserializers } = await import('@platformatic/kafka');
    const consumer = new Consumer({
      clientId: 'wt1-cat',
      groupId: `wt1-cat-${randomBytes(6).toString('hex')}`,
      bootstrapBrokers: this.brokers,
      deserializers: stringDeserializers,
      maxWaitTime: 200,
      connectTimeout: 5000,
      retries: 2,
    });
    const partitions = new Map<number, TrackedEvent[]>();
    try {
      const ends = (await consumer.listOffsets({ topics: [this.topic] })).get(this.topic) ?? [];
      const wanted = ends.reduce((n, end) => n + Number(end), 0);
      for (let p = 0; p < ends.length; p++) partitions.set(p, []);
      if (wanted > 0) {
        const seenOffsets = new Set<string>();
        const seenIds = new Set<string>();
        const stream = await consumer.consume({ topics: [this.topic], mode: 'earliest', autocommit: false });
        try {
          for await (const m of stream as AsyncIterable<Message<string, string, string, string>>) {
            const at = `${m.partition}:${m.offset}`;
            if (seenOffsets.has(at)) continue; // a group rebalance may deliver a record twice
            seenOffsets.add(at);
            const id = m.headers.get(MESSAGE_ID_HEADER);
            if (id !== undefined && seenIds.has(id)) this.duplicates++;
            else {
              if (id !== undefined) seenIds.add(id);
              const event = eventFromJson(m.value);
              if (event) partitions.get(m.partition)?.push(event);
              else this.unreadable++;
            }
            if (seenOffsets.size >= wanted) break;
          }
        } finally {
          await stream.close();
        }
      }
    } finally {
      await consumer.close(true);
    }
    return [...partitions].map(([partition, events]) => ({
      name: `${this.name}#${partition}`,
      nameTime: undefined,
      open: async () => {
        events.sort((a, b) => a.serverTS - b.serverTS);
        let text = headerLine(COLUMNS);
        for (const e of events) text += formatLine(e, COLUMNS);
        return Readable.from([gzipSync(text, { level: 1 })]);
      },
    }));
  }
}

/** The engine's JSON (raw or decoded params) as an event; undefined when it is not one. */
export function eventFromJson(text: string | undefined): TrackedEvent | undefined {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof o !== 'object' || o === null || typeof o.visitorId !== 'string' || typeof o.serverTS !== 'string')
    return undefined;
  const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const time = (v: unknown): number => {
    const t = typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isNaN(t) ? 0 : t;
  };
  return {
    serverTS: time(o.serverTS),
    clientTS: time(o.clientTS),
    origAddress: str(o.origAddress) ?? '',
    visitorId: o.visitorId,
    sessionId: str(o.sessionId) ?? '',
    globalVisitorId: str(o.globalVisitorId),
    page: str(o.page),
    referer: str(o.referer),
    ua: str(o.ua),
    type: str(o.type),
    visitorParams: params(o.visitorParams),
    sessionParams: params(o.sessionParams),
    eventParams: params(o.eventParams),
    browserWidth: num(o.browserWidth),
    browserHeight: num(o.browserHeight),
    screenWidth: num(o.screenWidth),
    screenHeight: num(o.screenHeight),
    browserLanguage: str(o.browserLanguage),
    tzOffset: str(o.tzOffset),
  };
}

/** Raw params as they are; decoded ones (`decodeParams=true`) back to a query string. */
function params(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v !== 'object' || v === null) return null;
  const qs = new URLSearchParams();
  for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
    for (const one of Array.isArray(value) ? value : [value]) qs.append(k, String(one));
  }
  return qs.toString();
}
