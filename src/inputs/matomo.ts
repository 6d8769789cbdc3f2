import type { TrackedEvent } from '../event/event.js';
import { parseQueryString } from '../event/query-string.js';
import type { Input, InputContext, InputRequest } from './input.js';
import { bad, isObject, parseJsonBody, tooLong, tooManyEvents } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';

const NAME = 'matomo';

/** Params that fill a column (or say nothing of the event: cache busters, the "record" flag). */
const MAPPED = new Set([
  'idsite',
  'url',
  'urlref',
  '_id',
  'cid',
  'uid',
  'ua',
  'lang',
  'res',
  'cdt',
  'rec',
  'rand',
  'send_image',
]);

/**
 * Matomo's tracking API: `GET|POST /matomo.php` (and `/piwik.php`), params in the query or a form
 * body, and bulk `POST {"requests": ["?idsite=…", …]}`. Clients may send no User-Agent header
 * (the `ua` param then says it). Single hits are answered 204, bulk ones with Matomo's JSON.
 */
export const matomo: Input = {
  name: NAME,
  endpoints: ['/matomo.php', '/piwik.php'].map((path) => ({ path, methods: ['GET', 'POST'] as const })),
  mediaTypes: ['application/x-www-form-urlencoded', 'application/json', 'text/plain', ''],
  sitesKey: 'sites',
  accepted: { status: 204 },
  parse(request, body, context) {
    const text = body === null ? '' : body.toString('utf8').trim();
    if (text.startsWith('{')) {
      const json = parseJsonBody(NAME, body, context.limits);
      if (!isObject(json) || !Array.isArray(json.requests))
        throw bad(NAME, 'requests must be an array (bulk tracking)');
      const requests = json.requests as unknown[];
      if (requests.length > context.limits.maxEvents)
        throw tooManyEvents(NAME, 'requests', requests.length, context.limits);
      const events: TrackedEvent[] = requests.map((r, i) => {
        if (typeof r !== 'string') throw bad(NAME, `requests[${i}] must be a query string`);
        return hit([r.startsWith('?') ? r.slice(1) : r], `requests[${i}]`, request, context);
      });
      return { events, answer: { status: 200, body: { status: 'success', tracked: events.length, invalid: 0 } } };
    }
    return { events: [hit(text === '' ? [request.query] : [request.query, text], 'the hit', request, context)] };
  },
};

function hit(
  queryStrings: readonly string[],
  where: string,
  request: InputRequest,
  context: InputContext,
): TrackedEvent {
  const limits = context.limits;
  const p = new Map<string, string>();
  for (const qs of queryStrings) {
    if (qs.length > limits.maxFieldLength * 4) throw tooLong(NAME, `${where}'s params`, qs.length, limits);
    for (const [k, v] of parseQueryString(qs)) if (!p.has(k)) p.set(k, v);
  }
  for (const [k, v] of p) if (v.length > limits.maxFieldLength) throw tooLong(NAME, `${where}.${k}`, v.length, limits);
  const site = p.get('idsite');
  if (!site) throw bad(NAME, `${where}: idsite is required`);
  context.checkSite(site);
  const res = /^(\d{1,5})x(\d{1,5})$/.exec(p.get('res') ?? '');
  const ua = p.get('ua') ?? request.userAgent ?? '';
  const cdt = p.get('cdt');
  let clientTS = 0;
  if (cdt) {
    clientTS = /^\d+$/.test(cdt)
      ? Number(cdt) * (cdt.length <= 10 ? 1000 : 1)
      : Date.parse(cdt.replace(' ', 'T') + (cdt.includes('Z') ? '' : 'Z'));
    if (!Number.isFinite(clientTS)) throw bad(NAME, `${where}.cdt is not a date: ${JSON.stringify(cdt.slice(0, 40))}`);
  }
  const eventParams = new Params(NAME, `${where}'s params`, limits);
  for (const [k, v] of p) if (!MAPPED.has(k)) eventParams.add(k, v);
  eventParams.add('_input', NAME).add('_site', site);
  return inputEvent(request, {
    type: typeOf(p),
    visitorId: p.get('_id') || p.get('cid') || context.visitorHash(site, request.clientAddress, ua),
    clientTS,
    page: p.get('url') ?? null,
    referer: p.get('urlref') ?? null,
    ua: ua === '' ? null : ua,
    browserLanguage: p.get('lang') ?? null,
    screenWidth: res ? Number(res[1]) : 0,
    screenHeight: res ? Number(res[2]) : 0,
    visitorParams: new Params(NAME, `${where}.uid`, limits).add('userId', p.get('uid')).done(),
    eventParams: eventParams.done(),
  });
}

/** A plain hit is a page view; events are named by their action; other kinds by what they are. */
function typeOf(p: ReadonlyMap<string, string>): string {
  if (p.has('e_c') || p.has('e_a')) return p.get('e_a') || 'event';
  if (p.has('search')) return 'search';
  if (p.has('idgoal')) return 'goal';
  if (p.has('download')) return 'download';
  if (p.has('link')) return 'link';
  if (p.has('c_n') || p.has('c_i')) return 'content';
  if (p.get('ping') === '1') return 'ping';
  return 'page';
}
