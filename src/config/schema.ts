import type { ParamsOf, SpecTable } from './spec.js';
import { DURABLE_KEYS } from './durable-keys.js';

/**
 * Every top-level key wt1 understands, with its default and origin. This table is the single
 * source of defaults; docs/configuration.md is its prose twin (a test keeps them in step).
 * Engine and handler params live beside each engine / handler (`storage.params.*`, `handler.NAME.params.*`).
 */
export const TOP_LEVEL_KEYS = {
  // --- keys of the original WT1 ---
  'storage.class': {
    type: 'string',
    default: 'fs',
    origin: 'WT1',
    description: 'storage engine: a WT1 class name or a short name (fs, s3, gcs, nats)',
  },
  maxQueueSize: {
    type: 'int',
    default: 5000,
    min: 1,
    max: 10_000_000,
    origin: 'WT1',
    description: 'capacity of each processor queue, in events',
  },
  maxQueueBytes: {
    type: 'int',
    default: 16 * 1024 * 1024,
    min: 0,
    origin: 'wt1',
    description:
      'capacity of each processor queue, in bytes of event text (0: no byte bound); bounds memory when hits are large',
  },
  sessionExpiration: {
    type: 'int',
    default: 1800,
    min: 1,
    origin: 'WT1',
    description: 'session lifetime after the last event, in seconds',
  },
  thirdPartyCookies: {
    type: 'bool',
    default: false,
    origin: 'WT1',
    description: 'set the global visitor id cookie __wt1tpvic on the tracker domain',
  },
  optoutCallbackUrl: {
    type: 'string',
    default: '',
    origin: 'WT1',
    description: 'where /public/cookie/status redirects, with ?status=...',
  },
  p3pHeader: { type: 'string', default: '', origin: 'WT1', description: 'value of the P3P header on cookie answers' },
  ignoreDNT: { type: 'bool', default: false, origin: 'WT1', description: 'ignore DNT and Sec-GPC request headers' },
  maintenanceFile: {
    type: 'string',
    default: '',
    origin: 'WT1',
    description: '/isAlive answers 503 while this file exists',
  },
  inlinedVisitorParams: {
    type: 'list',
    default: [],
    origin: 'WT1',
    description: 'visitor params written as their own columns (also read under storage.params.)',
  },
  inlinedSessionParams: {
    type: 'list',
    default: [],
    origin: 'WT1',
    description: 'session params written as their own columns (also read under storage.params.)',
  },
  inlinedEventParams: {
    type: 'list',
    default: [],
    origin: 'WT1',
    description: 'event params written as their own columns (also read under storage.params.)',
  },
  inlinedParamsOrder: {
    type: 'enum',
    default: 'hashset',
    values: ['hashset', 'listed'],
    origin: 'wt1',
    description:
      "order of the inlined columns in each list: hashset, the order a running WT1 writes (its Java HashSet's), so " +
      'files line up column for column; listed, the order of the config',
  },
  // --- keys new in wt1 ---
  port: {
    type: 'int',
    default: 8080,
    min: 0,
    max: 65535,
    origin: 'wt1',
    description: 'TCP port (also from the PORT environment variable)',
  },
  host: {
    type: 'string',
    default: '0.0.0.0',
    origin: 'wt1',
    description: 'address to listen on (also from the HOST environment variable)',
  },
  instanceId: {
    type: 'string',
    default: '',
    origin: 'wt1',
    description:
      'name of this instance in file names; default: host name plus process id for object storage, none for fs',
  },
  trustedProxies: {
    type: 'list',
    default: ['loopback'],
    origin: 'wt1',
    description:
      'peers whose X-Forwarded-For / X-Real-IP / X-Forwarded-Proto are trusted: loopback, private, none, or IPs / ' +
      'CIDRs',
  },
  adminToken: {
    type: 'string',
    default: '',
    origin: 'wt1',
    description: 'bearer token for /internal/* and /metrics; without one only loopback clients get in',
  },
  storageThread: {
    type: 'bool',
    default: true,
    origin: 'wt1',
    description:
      'run the storage engine (parsing, formatting, compression) on its own thread, so the request thread only ' +
      'captures each hit',
  },
  inputParsing: {
    type: 'enum',
    default: 'requestThread',
    values: ['requestThread', 'storageThread'],
    origin: 'wt1',
    description:
      'where /public/events and the tracker inputs parse request bodies: on the storage thread (when storageThread ' +
      'is true; the request thread only reads and admits) or on the request thread',
  },
  isolateRequestThread: {
    type: 'bool',
    default: false,
    origin: 'wt1',
    description:
      'Linux, 2+ CPUs: keep one CPU for the request thread alone, the other threads of the process (storage ' +
      'thread, libuv pool, V8 helpers) on the rest; needs taskset (util-linux) and workers=1',
  },
  flushInterval: {
    type: 'number',
    default: 1,
    min: 0.01,
    max: 3600,
    origin: 'wt1',
    description: 'seconds between flushes of the open file (bounds the loss on a crash)',
  },
  shutdownTimeout: {
    type: 'number',
    default: 10,
    min: 0.1,
    max: 3600,
    origin: 'wt1',
    description: 'seconds a SIGTERM may take to drain queues and publish files',
  },
  ackMode: {
    type: 'enum',
    default: 'queued',
    values: ['queued', 'durable'],
    origin: 'wt1',
    description:
      'queued: answer once events are queued (fast; a crash loses the queue); durable: answer once they are on ' +
      'disk (fsync, group commit)',
  },
  ...DURABLE_KEYS,
  storageStallTimeout: {
    type: 'number',
    default: 30,
    min: 0,
    max: 86400,
    origin: 'wt1',
    description:
      'seconds a storage engine may hold queued events without finishing any before it is reported stalled (/ready ' +
      '503, logged, wt1_storage_stalled); 0: never',
  },
  anonymizeIp: {
    type: 'bool',
    default: false,
    origin: 'wt1',
    description: 'truncate IPv4 to /24 and IPv6 to /48 before any processor sees it',
  },
  logLevel: {
    type: 'enum',
    default: 'info',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    origin: 'wt1',
    description: 'log level',
  },
  logFormat: {
    type: 'enum',
    default: 'json',
    values: ['json', 'pretty'],
    origin: 'wt1',
    description: 'json lines, or pretty for a terminal',
  },
  workers: {
    type: 'int',
    default: 1,
    min: 1,
    max: 256,
    origin: 'wt1',
    description: 'worker processes sharing the port (node:cluster)',
  },
  metricsPort: {
    type: 'int',
    default: 0,
    min: 0,
    max: 65535,
    origin: 'wt1',
    description:
      'serve /metrics on this separate port, without authentication (0: on the main port, behind the admin protection)',
  },
  metricsHost: {
    type: 'string',
    default: '127.0.0.1',
    origin: 'wt1',
    description: 'address the metricsPort listens on (0.0.0.0 to let a remote Prometheus scrape it)',
  },
  maxConnections: {
    type: 'int',
    default: 10_000,
    min: 1,
    origin: 'wt1',
    description:
      'most open client connections on the main port; more are closed at once (each may hold up to 64 KiB of ' +
      'headers for 15 s)',
  },
  'pixel.maxBodySize': {
    type: 'int',
    default: 65536,
    min: 1024,
    origin: 'wt1',
    description: 'largest form body accepted by POST /public/p.gif, in bytes',
  },
  'paths.pixel': {
    type: 'string',
    default: '/public/p.gif',
    origin: 'wt1',
    description: 'path of the pixel (docs/first-party.md); the served snippet sends its hits there',
  },
  'paths.snippet': {
    type: 'list',
    default: ['/track.js', '/public/track.js'],
    origin: 'wt1',
    description: 'paths the browser snippet is served at (comma list; docs/first-party.md)',
  },
  'paths.events': {
    type: 'string',
    default: '/public/events',
    origin: 'wt1',
    description: 'path of the JSON events API (docs/first-party.md)',
  },
  'api.maxBodySize': {
    type: 'int',
    default: 1_048_576,
    min: 1024,
    origin: 'wt1',
    description: 'largest body accepted by /public/events as sent (compressed), in bytes',
  },
  'api.maxDecompressedSize': {
    type: 'int',
    default: 10_485_760,
    min: 1024,
    origin: 'wt1',
    description: 'largest gunzipped body accepted by /public/events, in bytes',
  },
  'api.maxInFlightBytes': {
    type: 'int',
    default: 67_108_864,
    min: 0,
    origin: 'wt1',
    description:
      'bytes of request bodies (JSON API, inputs, pixel form posts) read, gunzipped and parsed at once, all ' +
      'requests together (0: no bound); past it 503 with Retry-After',
  },
  'api.maxEvents': {
    type: 'int',
    default: 1000,
    min: 1,
    origin: 'wt1',
    description: 'most events in one /public/events message',
  },
  'api.maxFieldLength': {
    type: 'int',
    default: 65536,
    min: 16,
    origin: 'wt1',
    description: 'longest string field in a /public/events message, in characters',
  },
  'api.maxDepth': {
    type: 'int',
    default: 32,
    min: 2,
    max: 10_000,
    origin: 'wt1',
    description: 'deepest nesting of arrays and objects in a JSON body, checked before parsing',
  },
  'api.maxKeys': {
    type: 'int',
    default: 1000,
    min: 1,
    origin: 'wt1',
    description: 'most members in one object of a JSON body, checked before parsing',
  },
  'api.maxArrayLength': {
    type: 'int',
    default: 10_000,
    min: 1,
    origin: 'wt1',
    description: 'most elements in one array of a JSON body, checked before parsing',
  },
  'api.maxValues': {
    type: 'int',
    default: 200_000,
    min: 1,
    origin: 'wt1',
    description: 'most members and elements in a whole JSON body, checked before parsing',
  },
  'api.bodyTimeout': {
    type: 'number',
    default: 10,
    min: 0.1,
    origin: 'wt1',
    description: 'seconds a client may take to send a request body',
  },
  'api.corsOrigins': {
    type: 'list',
    default: ['*'],
    origin: 'wt1',
    description: 'origins allowed to call /public/events from a browser (* for any)',
  },
  inputs: {
    type: 'list',
    default: ['all'],
    origin: 'wt1',
    description:
      'tracker wire formats accepted besides the pixel and /public/events (docs/inputs.md): all, none, or a comma ' +
      'list of their names',
  },
  visitorIdSalt: {
    type: 'string',
    default: '',
    origin: 'wt1',
    description:
      'secret salting the daily visitor hash of cookieless trackers (Plausible, Umami); set the same on every ' +
      'instance (default: random per process)',
  },
} as const satisfies SpecTable;

/** The top-level keys as validated values, flat (`'api.maxEvents': number`). */
type TopLevelValues = ParamsOf<typeof TOP_LEVEL_KEYS>;
type Namespace<K> = K extends `${infer N}.${string}` ? N : never;
/** Keys without a dot, as they are. */
type Plain<T> = { readonly [K in keyof T as K extends `${string}.${string}` ? never : K]: T[K] };
/** `api.maxEvents` as `api: { maxEvents }`, for every namespace but `storage` (built from the engine). */
type Nested<T> = {
  readonly [N in Namespace<keyof T> as N extends 'storage' ? never : N]: {
    readonly [K in keyof T as K extends `${N}.${infer R}` ? R : never]: T[K];
  };
};

/**
 * The validated, frozen configuration every part of wt1 receives, derived from TOP_LEVEL_KEYS:
 * adding a key there adds it here, typed by its spec (an enum key is the union of its values).
 */
export type Config = Plain<TopLevelValues> &
  Nested<TopLevelValues> & {
    readonly storage: StorageConfig;
    readonly handlers: readonly HandlerConfig[];
    /**
     * The tracker inputs enabled (`inputs` with `all` / `none` resolved), and each one's allow-list of sites
     * (`inputs.NAME.KEY`; empty: any).
     */
    readonly inputSites: Readonly<Record<string, readonly string[]>>;
  };

export interface StorageConfig {
  /** The engine's short name (`fs`), whatever name the config used. */
  readonly engine: string;
  /** `storage.class` as written. */
  readonly className: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface HandlerConfig {
  readonly name: string;
  readonly kind: string;
  readonly className: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** Every `handler.NAME.params.*` as written, for handlers with dynamic param names (e.g. sums). */
  readonly rawParams: Readonly<Record<string, string>>;
}
