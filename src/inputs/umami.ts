import type { Input } from './input.js';
import { bad, isObject, optId, optObject, optString, parseJsonBody } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';

const NAME = 'umami';

/**
 * Umami's collect API, `POST /api/send`: `{type: "event" | "identify", payload: {website,
 * hostname, url, referrer, title, language, screen, name, data, id}}`, one event per request. A
 * view is an event without a name. Cookieless: without a distinct `id`, the visitor id is the
 * daily-salted hash of website, address and user agent, as Umami computes its session.
 */
export const umami: Input = {
  name: NAME,
  endpoints: [{ path: '/api/send', methods: ['POST'] }],
  mediaTypes: ['application/json', 'text/plain', ''],
  corsHeaders: ['x-umami-cache'],
  sitesKey: 'websites',
  // The browser tracker reads the answer as JSON (a `cache` token, a `disabled` flag): none here.
  accepted: { status: 200, body: {} },
  parse(request, body, context) {
    const json = parseJsonBody(NAME, body, context.limits);
    if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object');
    const limits = context.limits;
    const kind = optString(NAME, json.type, 'type', limits);
    if (kind !== 'event' && kind !== 'identify')
      throw bad(
        NAME,
        `type must be "event" or "identify"${kind === null ? '' : `, not ${JSON.stringify(kind.slice(0, 40))}`}`,
      );
    const payload = optObject(NAME, json.payload, 'payload');
    if (payload === null) throw bad(NAME, 'payload is missing');
    const str = (field: string): string | null => optString(NAME, payload[field], `payload.${field}`, limits);
    const website = str('website');
    if (website === null || website === '') throw bad(NAME, 'payload.website is required');
    context.checkSite(website);
    const data = optObject(NAME, payload.data, 'payload.data');
    const name = str('name');
    const screen = /^(\d{1,5})x(\d{1,5})$/.exec(str('screen') ?? '');
    const id = optId(NAME, payload.id, 'payload.id', limits);

    const eventParams = new Params(NAME, 'payload.data', limits);
    if (kind === 'event') eventParams.addAll(data);
    eventParams
      .add('title', str('title'))
      .add('hostname', str('hostname'))
      .add('tag', str('tag'))
      .add('_input', NAME)
      .add('_site', website);
    const visitorParams = new Params(NAME, 'payload.data', limits).add('id', id);
    if (kind === 'identify') visitorParams.addAll(data);
    const ua = request.userAgent ?? '';
    return {
      events: [
        inputEvent(request, {
          type: kind === 'identify' ? 'identify' : (name ?? 'page'),
          visitorId: id ?? context.visitorHash(website, request.clientAddress, ua),
          page: str('url'),
          referer: str('referrer'),
          browserLanguage: str('language'),
          screenWidth: screen ? Number(screen[1]) : 0,
          screenHeight: screen ? Number(screen[2]) : 0,
          eventParams: eventParams.done(),
          visitorParams: visitorParams.done(),
        }),
      ],
    };
  },
};
