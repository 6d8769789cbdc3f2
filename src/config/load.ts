import { readFileSync } from 'node:fs';
import { ConfigError, Wt1Error } from '../errors.js';
import { parseProperties, PropertiesSyntaxError } from './properties.js';
import { readKeys, type RawValue, type SpecTable } from './spec.js';
import { TOP_LEVEL_KEYS, type Config, type HandlerConfig } from './schema.js';
import { ENGINES, findEngine, UNSUPPORTED_WT1_ENGINES } from '../storage/registry.js';
import { findHandler, HANDLERS } from '../handlers/registry.js';
import type { HandlerDescriptor } from '../handlers/handler.js';
import { TrustedProxies } from '../event/client-address.js';

const INLINED_KEYS = ['inlinedVisitorParams', 'inlinedSessionParams', 'inlinedEventParams'] as const;

export interface LoadOptions {
  /** Path of a config.properties or JSON file; none: defaults and environment only. */
  readonly file?: string;
  /** Environment to read `WT1_*`, `PORT` and `HOST` from. */
  readonly env?: NodeJS.ProcessEnv;
  /** Highest precedence (command-line flags), already as config keys. */
  readonly overrides?: Readonly<Record<string, RawValue>>;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a config file: Java properties (the WT1 format) or JSON of the same keys (flat or nested).
 * Properties are read as UTF-8 when they are valid UTF-8, else as ISO-8859-1, the encoding
 * java.util.Properties.load(InputStream) used for WT1's own file. JSON must be UTF-8.
 */
export function readConfigFile(file: string): Map<string, RawValue> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: ${(e as Error).message}`);
  }
  // A binary file (a wrong path) would otherwise come back as pages of unknown "keys".
  const nul = bytes.indexOf(0);
  if (nul !== -1) {
    throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: not a text file (a NUL byte at offset ${nul}); expected Java properties or JSON`);
  }
  let text: string;
  let utf8 = true;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    utf8 = false;
    text = bytes.toString('latin1');
  }
  if (file.endsWith('.json') || /^\s*\{/.test(text)) {
    if (!utf8) throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: invalid JSON: not valid UTF-8`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: invalid JSON: ${(e as Error).message}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: the JSON must be an object of config keys`);
    }
    const out = new Map<string, RawValue>();
    flatten('', parsed as Record<string, unknown>, out);
    return out;
  }
  try {
    return new Map(parseProperties(text));
  } catch (e) {
    if (e instanceof PropertiesSyntaxError) throw new Wt1Error('WT1_ERR_CONFIG_FILE', `${file}: ${e.message}`);
    throw e;
  }
}

function flatten(prefix: string, obj: Record<string, unknown>, out: Map<string, RawValue>): void {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix + k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatten(key + '.', v as Record<string, unknown>, out);
    else out.set(key, v as RawValue);
  }
}

const norm = (s: string): string => s.replace(/_/g, '').toLowerCase();

/**
 * `WT1_*` variables as config keys: `__` separates dotted segments, and each segment matches a
 * key case-insensitively, ignoring `_` (WT1_MAX_QUEUE_SIZE = maxQueueSize,
 * WT1_STORAGE__PARAMS__ROOT_DIR = storage.params.rootDir, WT1_HANDLER__MAIN__CLASS = handler.main.class).
 * `PORT` and `HOST` (set by PaaS platforms) are honoured too, below the `WT1_` ones.
 */
export function configFromEnv(env: NodeJS.ProcessEnv, knownKeys: readonly string[]): Map<string, RawValue> {
  const out = new Map<string, RawValue>();
  if (env.PORT) out.set('port', env.PORT);
  if (env.HOST) out.set('host', env.HOST);
  const byNorm = new Map(knownKeys.map((k) => [k.split('.').map(norm).join('.'), k]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('WT1_') || value === undefined) continue;
    const segments = name.slice(4).split('__');
    const normalized = segments.map(norm).join('.');
    const known = byNorm.get(normalized);
    if (known) { out.set(known, value); continue; }
    // Dynamic keys: storage.params.X of another engine, handler.NAME.*: keep the segments camelCased.
    out.set(segments.map(camel).join('.'), value);
  }
  return out;
}

function camel(segment: string): string {
  if (/[a-z]/.test(segment)) return segment;
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Every key name wt1 can know about (top level, every engine's and handler's params). */
export function knownKeyNames(): string[] {
  const keys = Object.keys(TOP_LEVEL_KEYS);
  for (const e of ENGINES) for (const p of Object.keys(e.params)) keys.push(`storage.params.${p}`);
  for (const k of INLINED_KEYS) keys.push(`storage.params.${k}`);
  return keys;
}

/**
 * Loads, merges (defaults < file < PORT/HOST < WT1_* < overrides), validates and freezes the config.
 * Throws one ConfigError listing every problem, each naming the key and the bad value.
 */
export function loadConfig(options: LoadOptions = {}): Config {
  const raw = new Map<string, RawValue>();
  if (options.file) for (const [k, v] of readConfigFile(options.file)) raw.set(k, v);
  for (const [k, v] of configFromEnv(options.env ?? {}, knownKeyNames())) raw.set(k, v);
  for (const [k, v] of Object.entries(options.overrides ?? {})) if (v !== undefined) raw.set(k, v);
  return validateConfig(raw);
}

export function validateConfig(raw: ReadonlyMap<string, RawValue>): Config {
  const problems: string[] = [];
  const top = readKeys('', raw, TOP_LEVEL_KEYS, problems) as Record<string, unknown>;

  // storage
  const storageClass = String(top['storage.class']).trim();
  let engineName = '';
  let storageParams: Record<string, unknown> = {};
  const engine = findEngine(storageClass);
  if (engine) {
    engineName = engine.name;
    storageParams = readKeys('storage.params.', raw, engine.params, problems);
    problems.push(...(engine.validate?.(storageParams) ?? []));
  } else if (UNSUPPORTED_WT1_ENGINES[storageClass]) {
    problems.push(`storage.class: "${storageClass}" is not provided: ${UNSUPPORTED_WT1_ENGINES[storageClass]}`);
  } else {
    problems.push(`storage.class: "${storageClass}" is not a known engine (known: ${ENGINES.map((e) => `${e.name} = ${e.wt1ClassNames.join(' / ') || e.name}`).join('; ')})`);
  }

  // The original sample sets these at top level but the engines read storage.params.*: honour both.
  const inlined: Record<string, string[]> = {};
  for (const key of INLINED_KEYS) {
    const fromParams = readKeys('storage.params.', raw, { [key]: TOP_LEVEL_KEYS[key] } as SpecTable, problems)[key] as string[];
    inlined[key] = [...new Set([...(top[key] as string[]), ...fromParams])];
  }

  // handlers
  const handlers: HandlerConfig[] = [];
  const handlerNames = new Set<string>();
  for (const key of raw.keys()) {
    const m = /^handler\.([^.]+)\./.exec(key);
    if (m) handlerNames.add(m[1]);
  }
  for (const name of handlerNames) {
    const className = raw.get(`handler.${name}.class`);
    if (className === undefined || className === null || className === '') {
      problems.push(`handler.${name}.class is required (handler.${name}.* keys are set)`);
      continue;
    }
    if (!/^[A-Za-z0-9_-]+$/.test(name)) {
      problems.push(`handler.${name}: the handler name may only hold letters, digits, _ and -`);
      continue;
    }
    const descriptor = findHandler(String(className));
    if (!descriptor) {
      problems.push(`handler.${name}.class: "${String(className)}" is not a known handler (known: ${HANDLERS.map((h) => [h.name, ...h.wt1ClassNames].join(' = ')).join('; ') || 'none'})`);
      continue;
    }
    const prefix = `handler.${name}.params.`;
    const rawParams: Record<string, string> = {};
    for (const [k, v] of raw) if (k.startsWith(prefix) && v !== null) rawParams[k.slice(prefix.length)] = String(v);
    const params = readKeys(prefix, raw, descriptor.params, problems);
    for (const problem of descriptor.validate?.(params, rawParams) ?? []) problems.push(prefix + problem);
    handlers.push({
      name,
      kind: descriptor.name,
      className: String(className),
      params: Object.freeze(params),
      rawParams: Object.freeze(rawParams),
    });
  }

  // unknown keys
  for (const key of raw.keys()) {
    if (key.startsWith('handler.') && !/^handler\.[^.]+\.[^.]/.test(key)) {
      problems.push(`${key}: unknown configuration key (handlers are set as handler.NAME.class and handler.NAME.params.*)`);
      continue;
    }
    if (key in TOP_LEVEL_KEYS || key.startsWith('handler.')) {
      if (key.startsWith('handler.')) {
        const h = handlers.find((x) => key.startsWith(`handler.${x.name}.`));
        if (h) {
          const rest = key.slice(`handler.${h.name}.`.length);
          const descriptor = findHandler(h.className)!;
          if (rest !== 'class' && !(rest.startsWith('params.') && isKnownParam(rest.slice(7), descriptor))) {
            problems.push(`${key}: unknown key for handler ${h.name} (known params: ${Object.keys(descriptor.params).join(', ') || 'none'})`);
          }
        }
      }
      continue;
    }
    if (key.startsWith('storage.params.')) {
      const p = key.slice('storage.params.'.length);
      if (engine && !(p in engine.params) && !(INLINED_KEYS as readonly string[]).includes(p)) {
        problems.push(`${key}: unknown param for storage engine ${engine.name} (known: ${Object.keys(engine.params).join(', ')})`);
      }
      continue;
    }
    problems.push(`${key}: unknown configuration key`);
  }

  problems.push(...TrustedProxies.validate(top.trustedProxies as string[]));
  const callback = checkCallbackUrl(top.optoutCallbackUrl as string);
  if (callback) problems.push(`optoutCallbackUrl: ${JSON.stringify(top.optoutCallbackUrl)} ${callback}`);
  // Sent as the P3P header: a character Node refuses in a header would fail every cookie answer.
  if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(top.p3pHeader as string)) {
    problems.push(`p3pHeader: ${JSON.stringify(top.p3pHeader)} must be a valid header value (no line breaks or other control characters, no characters past U+00FF)`);
  }
  if ((top.metricsPort as number) !== 0 && top.metricsPort === top.port) {
    problems.push(`metricsPort: ${String(top.metricsPort)} is also port: give /metrics another port, or 0 to serve it on the main port`);
  }
  if (top.isolateRequestThread === true && (top.workers as number) > 1) {
    problems.push(`isolateRequestThread: true needs workers=1 (workers is ${String(top.workers)}: each worker process would keep the same CPU for itself)`);
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    storage: { engine: engineName, className: storageClass, params: Object.freeze(storageParams) },
    handlers: Object.freeze(handlers),
    maxQueueSize: top.maxQueueSize as number,
    maxQueueBytes: top.maxQueueBytes as number,
    sessionExpiration: top.sessionExpiration as number,
    thirdPartyCookies: top.thirdPartyCookies as boolean,
    optoutCallbackUrl: top.optoutCallbackUrl as string,
    p3pHeader: top.p3pHeader as string,
    ignoreDNT: top.ignoreDNT as boolean,
    maintenanceFile: top.maintenanceFile as string,
    inlinedVisitorParams: Object.freeze(inlined.inlinedVisitorParams),
    inlinedSessionParams: Object.freeze(inlined.inlinedSessionParams),
    inlinedEventParams: Object.freeze(inlined.inlinedEventParams),
    port: top.port as number,
    host: top.host as string,
    instanceId: top.instanceId as string,
    trustedProxies: Object.freeze(top.trustedProxies as string[]),
    adminToken: top.adminToken as string,
    flushInterval: top.flushInterval as number,
    shutdownTimeout: top.shutdownTimeout as number,
    storageStallTimeout: top.storageStallTimeout as number,
    storageThread: top.storageThread as boolean,
    isolateRequestThread: top.isolateRequestThread as boolean,
    anonymizeIp: top.anonymizeIp as boolean,
    logLevel: top.logLevel as string,
    logFormat: top.logFormat as 'json' | 'pretty',
    workers: top.workers as number,
    metricsPort: top.metricsPort as number,
    metricsHost: top.metricsHost as string,
    pixel: Object.freeze({ maxBodySize: top['pixel.maxBodySize'] as number }),
    api: Object.freeze({
      maxBodySize: top['api.maxBodySize'] as number,
      maxDecompressedSize: top['api.maxDecompressedSize'] as number,
      maxInFlightBytes: top['api.maxInFlightBytes'] as number,
      maxEvents: top['api.maxEvents'] as number,
      maxFieldLength: top['api.maxFieldLength'] as number,
      bodyTimeout: top['api.bodyTimeout'] as number,
      corsOrigins: Object.freeze(top['api.corsOrigins'] as string[]),
    }),
  };
  return Object.freeze(config);
}

function isKnownParam(name: string, descriptor: HandlerDescriptor): boolean {
  return name in descriptor.params || (descriptor.dynamicParams?.test(name) ?? false);
}

/**
 * `optoutCallbackUrl` must be an absolute http(s) URL or a path on this host (`/...`): the opt-out
 * status redirects there, and a scheme like `javascript:` or a `//host` path must not slip in.
 * Returns what is wrong, or undefined.
 */
function checkCallbackUrl(value: string): string | undefined {
  if (value === '') return undefined;
  // It goes into a Location header as is: printable ASCII only (percent-encode the rest).
  if (!/^[\x21-\x7e]+$/.test(value) || value.includes('\\')) return 'must be printable ASCII without spaces or backslashes (percent-encode the rest)';
  if (value.startsWith('/')) return value.startsWith('//') ? 'must be an absolute http(s) URL or a path starting with a single /' : undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL (an absolute http(s) URL or a path starting with /)';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  return undefined;
}
