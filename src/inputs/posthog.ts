import type { Input, InputEndpoint, InputLimits, InputRequest } from './input.js';
import { bad, isObject, optString, parseJsonBody, tooManyEvents } from './fields.js';
import { parseQueryString } from '../event/query-string.js';
import { Wt1Error } from '../errors.js';
import { posthogEvent } from './posthog-event.js';

const NAME = 'posthog';

/** Where PostHog's SDKs send events: posthog-js `/e/` (`/i/v0/e/` when its config says so), posthog-node `/batch/`. */
const CAPTURE = ['/e', '/i/v0/e', '/batch', '/capture'];
/** Feature flags (posthog-js at load; posthog-node when asked for a flag): answered with none. */
const FLAGS = ['/flags', '/decide'];
const both = (paths: readonly string[], methods: InputEndpoint['methods']): InputEndpoint[] =>
  paths.flatMap((p) => [
    { path: p, methods },
    { path: `${p}/`, methods },
  ]);

/**
 * PostHog's capture API, as posthog-js and posthog-node send it: `{api_key, batch: [event, ...]}`,
 * one event, or an array of events, as JSON; gzip with or without `Content-Encoding` (posthog-js
 * sends it as text/plain and at most `?compression=gzip-js`), or a form `data=<base64 JSON>`
 * (`?compression=base64`, sendBeacon at page unload). The flags and remote config posthog-js asks
 * at load are answered with nothing enabled: no flags, surveys, recording, site apps or scripts,
 * so nothing wt1 sends is executed in the page. docs/inputs.md has the field table.
 */
export const posthog: Input = {
  name: NAME,
  endpoints: [
    ...both(CAPTURE, ['POST']),
    ...both(FLAGS, ['POST', 'GET']),
    { path: '/array/', prefix: true, methods: ['GET'] },
  ],
  mediaTypes: ['application/json', 'text/plain', 'application/x-www-form-urlencoded', ''],
  sniffsGzip: true,
  sitesKey: 'apiKeys',
  accepted: { status: 200, body: { status: 1 } },
  parse(request, body, context) {
    const path = request.path.endsWith('/') ? request.path.slice(0, -1) : request.path;
    if (FLAGS.includes(path)) return { events: [], answer: { status: 200, body: FLAGS_ANSWER } };
    if (path.startsWith('/array/')) return remoteConfig(path, context.checkSite);
    const json = decodePayload(request, body, context.limits);
    const { list, label } = eventsOf(json);
    if (list.length > context.limits.maxEvents) throw tooManyEvents(NAME, 'batch', list.length, context.limits);
    const top = isObject(json) ? json : null;
    const limits = context.limits;
    const key =
      top === null
        ? null
        : (optString(NAME, top.api_key, 'api_key', limits) ?? optString(NAME, top.token, 'token', limits));
    const events = list.map((e, i) => posthogEvent(NAME, e, label(i), key, request, context));
    return { events };
  },
};

/** The events of a body: `{batch: [...]}`, one event, or (older posthog-js) an array of events. */
function eventsOf(json: unknown): { list: unknown[]; label: (i: number) => string } {
  if (Array.isArray(json)) return { list: json, label: (i) => `[${i}]` };
  if (!isObject(json)) throw bad(NAME, 'the body must be an object ({"batch": [...]} or one event) or an array');
  if (!('batch' in json)) return { list: [json], label: () => 'the event' };
  if (!Array.isArray(json.batch)) throw bad(NAME, 'batch must be an array');
  return { list: json.batch, label: (i) => `batch[${i}]` };
}

/**
 * The JSON of a capture request. The ingest path has already gunzipped a gzip body; what is left
 * is JSON, or a form whose `data` is JSON or its base64 (`compression=base64`).
 */
function decodePayload(request: InputRequest, body: Buffer | null, limits: InputLimits): unknown {
  if (body === null || body.length === 0) throw bad(NAME, 'the body is empty');
  const query = parseQueryString(request.query);
  const form = isForm(request, body) ? parseQueryString(body.toString('utf8')) : null;
  const compression = (query.get('compression') ?? form?.get('compression') ?? '').toLowerCase();
  if (compression === 'lz64')
    throw bad(NAME, 'compression lz64 (old posthog-js versions) is not supported: send gzip-js, base64 or none');
  if (form === null) {
    if (compression === 'base64') return parseJsonBody(NAME, fromBase64(body.toString('latin1')), limits);
    return parseJsonBody(NAME, body, limits);
  }
  const data = form.get('data');
  if (data === undefined || data === '') throw bad(NAME, 'the form has no data field');
  const first = data.trimStart()[0];
  // Old clients post the JSON itself in `data`, without saying `compression`.
  if (compression !== 'base64' && (first === '{' || first === '['))
    return parseJsonBody(NAME, Buffer.from(data, 'utf8'), limits);
  return parseJsonBody(NAME, fromBase64(data), limits);
}

function isForm(request: InputRequest, body: Buffer): boolean {
  // JSON labelled as a form (axios's default label for a Buffer) is JSON.
  if (body[0] === 0x7b || body[0] === 0x5b) return false;
  const type = request.header('content-type');
  if (type !== undefined && type.toLowerCase().startsWith('application/x-www-form-urlencoded')) return true;
  // sendBeacon fallbacks and old clients post `data=...` under other types.
  return body.length > 5 && body.toString('latin1', 0, 5) === 'data=';
}

/** Base64 (standard or url-safe); a `+` decoded from the form as a space is put back. */
function fromBase64(text: string): Buffer {
  const cleaned = text.trim().replace(/ /g, '+');
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(cleaned) || cleaned.length % 4 === 1)
    throw bad(NAME, 'data is not valid base64');
  const decoded = Buffer.from(cleaned, 'base64');
  if (decoded.length === 0) throw bad(NAME, 'data is empty once base64-decoded');
  return decoded;
}

/**
 * `GET /array/{api key}/config`: the remote config, nothing enabled. `config.js` (the same config as a
 * script) is refused: posthog-js then reads the JSON one, and runs nothing sent by wt1.
 */
function remoteConfig(path: string, checkSite: (site: string | null) => void) {
  const match = /^\/array\/([^/]+)\/config$/.exec(path);
  if (match === null)
    throw new Wt1Error(
      'WT1_ERR_NOT_FOUND',
      `${NAME}: ${JSON.stringify(path.slice(0, 100))}: wt1 serves no scripts; posthog-js reads /array/KEY/config`,
    );
  checkSite(decodeURIComponentSafe(match[1]));
  return { events: [], answer: { status: 200, body: REMOTE_CONFIG } };
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** posthog-js's RemoteConfig with every remote feature off; `autocapture_opt_out: false` leaves the page's choice. */
const REMOTE_CONFIG = Object.freeze({
  supportedCompression: ['gzip', 'gzip-js'],
  autocapture_opt_out: false,
  capturePerformance: false,
  autocaptureExceptions: false,
  errorTracking: { autocaptureExceptions: false },
  logs: { captureConsoleLogs: false },
  sessionRecording: false,
  // No `surveys` key at all: with `surveys: false` posthog-js still loads its surveys script (to show none).
  productTours: false,
  heatmaps: false,
  captureDeadClicks: false,
  conversations: false,
  siteApps: [],
  toolbarParams: {},
  isAuthenticated: false,
  hasFeatureFlags: false,
});

/** `/flags/?v=2` (and the older `/decide/`, which also carried the config): no flags. */
const FLAGS_ANSWER = Object.freeze({
  ...REMOTE_CONFIG,
  flags: {},
  featureFlags: {},
  featureFlagPayloads: {},
  errorsWhileComputingFlags: false,
  quotaLimited: [],
});
