import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter } from 'prom-client';
import type { AppContext } from '../context.js';
import { clientAddressOf } from '../context.js';
import type { Route, RouteRequest } from '../router.js';
import type { CorsPolicy } from '../cors.js';
import { mediaType, readBody } from '../body.js';
import { gunzipBody, readGunzippedBody } from '../gunzip-body.js';
import type { BodyReservation } from '../body-budget.js';
import { sendJson, sendText } from '../respond.js';
import { admitWhole } from '../admission.js';
import { Wt1Error } from '../../errors.js';
import { INPUTS } from '../../inputs/registry.js';
import { pixelRoutes } from './pixel.js';
import { StorageThread } from '../../storage-thread/storage-thread.js';
import { pathOf } from './paths.js';
import type { Input, InputAnswer } from '../../inputs/input.js';
import { inputContextOf, inputLimitsOf, inputRequestOf, type InputRequestFacts } from '../../inputs/request.js';
import { VisitorHash } from '../../inputs/visitor-hash.js';

/**
 * The one ingest path of every tracker input (src/inputs/): media type, body reading (the `api.*`
 * limits, gzip, the shared in-flight budget), CORS, all-or-nothing admission into the queues (503
 * when they cannot take the whole request: trackers retry on 5xx) and refusals that name the
 * input. Each input only parses. Routes are declared per endpoint (methods, body limit, CORS).
 */
export function inputRoutes(ctx: AppContext): Route[] {
  const registers = [ctx.metrics.registry];
  const requests = new Counter({
    name: 'wt1_input_requests_total',
    help: 'Requests to a tracker input, by outcome: accepted, refused (4xx) or overloaded (503).',
    labelNames: ['input', 'outcome'],
    registers,
  });
  const eventsIn = new Counter({
    name: 'wt1_input_events_total',
    help: 'Events a tracker input accepted into the queues.',
    labelNames: ['input'],
    registers,
  });
  const ignoredIn = new Counter({
    name: 'wt1_input_ignored_total',
    help: 'Messages a tracker input answered but knowingly did not store (e.g. analytics.js telemetry on /v1/m).',
    labelNames: ['input'],
    registers,
  });
  const api = ctx.config.api;
  const budget = ctx.bodyBudget;
  const hash = new VisitorHash(ctx.config.visitorIdSalt);
  const limits = inputLimitsOf(api);
  const routes: Route[] = [];
  // Where bodies are parsed (`inputParsing`): the storage thread's queue is also its parser.
  const thread =
    ctx.config.inputParsing === 'storageThread'
      ? ctx.dispatcher.processors.map((p) => p.queue).find((q) => q instanceof StorageThread)
      : undefined;

  for (const input of INPUTS) {
    // WT1's own inputs are always served; the trackers' when `inputs` enables them.
    const sites = input.builtin ? [] : ctx.config.inputSites[input.name];
    if (sites === undefined) continue;
    // The pixel: answered at once, parsed on the storage thread (its own path, kept as fast as it was).
    if (input.capture === 'hit') {
      routes.push(...pixelRoutes(ctx, input));
      continue;
    }
    const name = input.name;
    const accepted = requests.labels(name, 'accepted');
    const refused = requests.labels(name, 'refused');
    const overloaded = requests.labels(name, 'overloaded');
    const events = eventsIn.labels(name);
    const ignored = ignoredIn.labels(name);
    const context = inputContextOf(input, sites, limits, hash, ctx.now);

    for (const endpoint of input.endpoints) {
      const cors = inputCors(input, api.corsOrigins, endpoint.methods);
      const handler = async (req: IncomingMessage, res: ServerResponse, route: RouteRequest): Promise<void> => {
        const reservation = budget.reserve();
        try {
          const body = req.method === 'POST' ? await readInputBody(input, req, ctx, reservation) : null;
          const facts = factsOf(ctx, req, route);
          // inputParsing=storageThread: parsed there (undefined while no thread runs: parsed here).
          const parsed = await (thread?.parse({ input: name, request: facts, body }) ??
            input.parse(inputRequestOf(facts), body, context));
          if (parsed.ignored) ignored.inc(parsed.ignored);
          // Whole or not at all: a tracker told 503 sends the request again (`named` adds the input's name).
          await admitWhole(ctx, parsed.events, `these ${parsed.events.length} events`);
          accepted.inc();
          if (parsed.events.length > 0) events.inc(parsed.events.length);
          answer(res, parsed.answer ?? input.accepted, cors.headersFor(req.headers.origin));
        } catch (error) {
          // WT1's own endpoints keep WT1's messages (tests/contract); trackers' refusals name the input.
          const refusal = input.builtin ? error : named(name, error);
          if (refusal instanceof Wt1Error) (refusal.code === 'WT1_ERR_OVERLOADED' ? overloaded : refused).inc();
          throw refusal;
        } finally {
          reservation.release();
        }
      };
      routes.push({
        path: endpoint.prefix ? `${endpoint.path}*` : pathOf(ctx, endpoint),
        methods: endpoint.methods,
        bodyLimit: endpoint.methods.includes('POST') ? api.maxBodySize : undefined,
        cors,
        handler,
      });
    }
  }
  return routes;
}

/**
 * `api.corsOrigins` for an input: `*` for trackers that send no cookies; the Origin echoed with
 * `Access-Control-Allow-Credentials` for those that do (`*` is refused with credentials). The
 * preflight allows the headers its tracker sends and is cached a day.
 */
function inputCors(input: Input, origins: readonly string[], methods: readonly string[]): CorsPolicy {
  const any = origins.includes('*');
  const listed = new Set(origins.map((o) => o.toLowerCase().replace(/\/+$/, '')));
  const preflight: Record<string, string> = {
    'Access-Control-Allow-Methods': [...methods, 'OPTIONS'].join(', '),
    'Access-Control-Allow-Headers': ['Content-Type', 'Content-Encoding', ...(input.corsHeaders ?? [])].join(', '),
    'Access-Control-Max-Age': '86400',
  };
  const star = { 'Access-Control-Allow-Origin': '*' };
  const starPreflight = { ...star, ...preflight, 'Content-Length': '0' };
  const vary = { Vary: 'Origin' };
  const allowedOrigin = (origin: string | undefined): origin is string =>
    origin !== undefined && (any || listed.has(origin.toLowerCase()));
  const headersFor = (origin: string | undefined): Record<string, string> => {
    if (any && !input.credentials) return star;
    if (!allowedOrigin(origin)) return vary;
    return input.credentials
      ? { 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true', Vary: 'Origin' }
      : { 'Access-Control-Allow-Origin': origin, Vary: 'Origin' };
  };
  return {
    headersFor,
    preflightFor: (origin) =>
      any && !input.credentials
        ? starPreflight
        : { ...headersFor(origin), ...(allowedOrigin(origin) ? preflight : {}), 'Content-Length': '0' },
  };
}

function answer(res: ServerResponse, a: InputAnswer, cors: Readonly<Record<string, string>>): void {
  const headers = a.headers ? { ...cors, ...a.headers } : cors;
  if (Buffer.isBuffer(a.body)) {
    res.writeHead(a.status, {
      ...headers,
      'Content-Type': a.contentType ?? 'application/octet-stream',
      'Content-Length': String(a.body.length),
    });
    res.end(a.body);
  } else if (a.body === undefined) {
    res.writeHead(a.status, { ...headers, 'Content-Length': '0' });
    res.end();
  } else if (typeof a.body === 'string') {
    sendText(res, a.status, a.body, { ...headers, ...(a.contentType ? { 'Content-Type': a.contentType } : {}) });
  } else {
    sendJson(res, a.status, a.body, headers);
  }
}

/**
 * The body within `api.*` limits: media type checked (415), gunzipped when sent with
 * `Content-Encoding: gzip` or as one of the input's `gzipMediaTypes`, or when it starts with gzip's
 * magic bytes for an input whose tracker does not say so (`sniffsGzip`); charset checked when the
 * input lists `charsets`.
 */
async function readInputBody(
  input: Input,
  req: IncomingMessage,
  ctx: AppContext,
  reservation: BodyReservation,
): Promise<Buffer> {
  const api = ctx.config.api;
  const type = mediaType(req);
  if (!input.mediaTypes.includes(type)) {
    const accepts = input.accepts ?? `accepts ${input.mediaTypes.filter((t) => t !== '').join(' or ')}`;
    throw new Wt1Error(
      'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
      `${accepts}, not ${type === '' ? 'a body without Content-Type' : type}`,
    );
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  let gzipped = encoding === 'gzip' || encoding === 'x-gzip';
  if (input.gzipMediaTypes?.includes(type)) {
    if (encoding !== 'identity')
      throw new Wt1Error(
        'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${encoding} is not supported with Content-Type ${type}`,
      );
    gzipped = true;
  } else {
    const charset = input.charsets ? charsetOf(req.headers['content-type'] ?? '') : null;
    if (charset !== null && !input.charsets?.includes(charset))
      throw new Wt1Error('WT1_ERR_UNSUPPORTED_MEDIA_TYPE', `charset ${charset} is not supported, send utf-8`);
    if (!gzipped && encoding !== 'identity')
      throw new Wt1Error(
        'WT1_ERR_UNSUPPORTED_MEDIA_TYPE',
        `Content-Encoding ${encoding} is not supported (send gzip or nothing)`,
      );
  }
  const limits = {
    maxBodySize: api.maxBodySize,
    maxDecompressedSize: api.maxDecompressedSize,
    timeoutMs: api.bodyTimeout * 1000,
    reservation,
  };
  if (gzipped) return readGunzippedBody(req, limits);
  const body = await readBody(req, api.maxBodySize, limits.timeoutMs, reservation);
  const sniffed = input.sniffsGzip && body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  return sniffed ? gunzipBody(body, limits) : body;
}

function charsetOf(contentType: string): string | null {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  return match ? match[1].toLowerCase() : null;
}

function factsOf(ctx: AppContext, req: IncomingMessage, route: RouteRequest): InputRequestFacts {
  return {
    method: req.method ?? 'GET',
    path: route.path.startsWith('/wt1/') ? route.path.slice(4) : route.path,
    query: route.query,
    now: ctx.now(),
    clientAddress: clientAddressOf(ctx, req),
    headers: req.headers,
  };
}

/** Every refusal names the input: the body readers' and the JSON bounds' do not know it. */
function named(name: string, error: unknown): unknown {
  if (!(error instanceof Wt1Error) || error.detail.startsWith(`${name}:`)) return error;
  return new Wt1Error(error.code, `${name}: ${error.detail}`, { headers: error.headers, cause: error.cause });
}
