import type { Input, InputLimits } from './input.js';
import { Wt1Error } from '../errors.js';
import { parseBoundedJsonText } from '../json/bounded-json.js';
import { bad, isObject, optNumber, optString, parseJsonBody, size, type Json } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';

const NAME = 'plausible';

/**
 * Plausible's events API, `POST /api/event`, as `@plausible-analytics/tracker` and the older
 * `plausible-tracker` send it: one event per request, JSON sent as text/plain (no preflight),
 * answered 202. Cookieless: the visitor id is the daily-salted hash of domain, address and user
 * agent, as Plausible computes it.
 */
export const plausible: Input = {
  name: NAME,
  endpoints: [{ path: '/api/event', methods: ['POST'] }],
  mediaTypes: ['text/plain', 'application/json', ''],
  sitesKey: 'domains',
  accepted: { status: 202, body: 'ok', contentType: 'text/plain; charset=utf-8' },
  parse(request, body, context) {
    const json = parseJsonBody(NAME, body, context.limits);
    if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object');
    const limits = context.limits;
    const str = (field: string): string | null => optString(NAME, json[field], field, limits);
    const name = str('n') ?? str('name');
    if (name === null || name === '') throw bad(NAME, 'n (the event name) is required');
    const domain = str('d') ?? str('domain');
    if (domain === null || domain === '') throw bad(NAME, 'd (the domain) is required');
    // A roll-up sends one event for several sites: `d=a.example,b.example`; each must be allowed.
    for (const d of domain.split(',')) context.checkSite(d.trim());
    const url = str('u') ?? str('url');
    if (url === null) throw bad(NAME, 'u (the page URL) is required');

    const params = new Params(NAME, 'p (the props)', limits).addAll(
      props(json.p ?? json.props ?? json.m ?? json.meta, limits),
    );
    const revenue = json.$ ?? json.revenue;
    if (revenue !== undefined && revenue !== null) {
      if (!isObject(revenue)) throw bad(NAME, '$ (the revenue) must be an object');
      params.addAll(revenue, '$');
    }
    params
      .add('sd', optNumber(NAME, json.sd, 'sd'))
      .add('e', optNumber(NAME, json.e, 'e'))
      .add('h', flag(json.h, 'h'))
      .add('i', flag(json.i, 'i'))
      .add('_input', NAME)
      .add('_site', domain);
    const ua = request.userAgent ?? '';
    return {
      events: [
        inputEvent(request, {
          type: name === 'pageview' ? 'page' : name,
          visitorId: context.visitorHash(domain, request.clientAddress, ua),
          page: url,
          referer: str('r') ?? str('referrer'),
          eventParams: params.done(),
          // The older tracker's `w`: window.innerWidth.
          browserWidth: size(json.w),
        }),
      ],
    };
  },
};

/** `p` is an object in the current tracker and a JSON string in the older one. */
function props(value: unknown, limits: InputLimits): Json | null {
  if (value === undefined || value === null) return null;
  if (isObject(value)) return value;
  if (typeof value === 'string') {
    let parsed: unknown;
    try {
      // Within the `api.*` bounds like the body around it: a deep string would otherwise reach Params' recursion.
      parsed = parseBoundedJsonText(value, limits);
    } catch (error) {
      if (error instanceof Wt1Error && error.code === 'WT1_ERR_JSON_LIMIT')
        throw new Wt1Error(error.code, `${NAME}: p (the props): ${error.detail}`);
      throw bad(NAME, 'p (the props) is a string that is not JSON');
    }
    if (parsed === null) return null;
    if (isObject(parsed)) return parsed;
  }
  throw bad(NAME, 'p (the props) must be an object (or its JSON text)');
}

/** `h` (hash-based routing) is 1 or true, `i` (interactive) a boolean. */
function flag(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean' && (typeof value !== 'number' || !Number.isFinite(value)))
    throw bad(NAME, `${field} must be a boolean or a number`);
  return String(value);
}
