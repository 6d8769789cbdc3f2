import type { TrackedEvent } from '../event/event.js';
import { parseQueryString } from '../event/query-string.js';
import { Wt1Error } from '../errors.js';
import type { Input, InputContext, InputRequest } from './input.js';
import { bad, isObject, optId, optObject, optString, parseJsonBody, tooManyEvents } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';

const NAME = 'ga4';
/** Event params that fill a column. */
const MAPPED = new Set(['page_location', 'page_referrer', 'language', 'screen_resolution', 'session_id']);

/**
 * The GA4 Measurement Protocol: `POST /mp/collect?measurement_id=…&api_secret=…` (or
 * `firebase_app_id=…`) with `{client_id, user_id, timestamp_micros, user_properties, events:
 * [{name, params}]}`, answered 204 like Google's; `/debug/mp/collect` validates the same body and
 * answers Google's `{"validationMessages": [...]}` shape, storing nothing.
 */
export const ga4: Input = {
  name: NAME,
  endpoints: [
    { path: '/mp/collect', methods: ['POST'] },
    { path: '/debug/mp/collect', methods: ['POST'] },
  ],
  mediaTypes: ['application/json', 'text/plain', ''],
  sitesKey: 'measurementIds',
  accepted: { status: 204 },
  parse(request, body, context) {
    if (!request.path.startsWith('/debug/')) return { events: collect(request, body, context) };
    try {
      collect(request, body, context);
    } catch (error) {
      if (!(error instanceof Wt1Error) || error.status !== 400) throw error;
      const description = error.detail.replace(/^ga4: /, '');
      return {
        events: [],
        answer: {
          status: 200,
          body: {
            validationMessages: [
              { fieldPath: description.split(' ')[0], description, validationCode: 'VALUE_INVALID' },
            ],
          },
        },
      };
    }
    return { events: [], answer: { status: 200, body: { validationMessages: [] } } };
  },
};

function collect(request: InputRequest, body: Buffer | null, context: InputContext): TrackedEvent[] {
  const limits = context.limits;
  const query = parseQueryString(request.query);
  const site = query.get('measurement_id') ?? query.get('firebase_app_id') ?? null;
  if (site === null || site === '') throw bad(NAME, 'measurement_id (or firebase_app_id) is required in the query');
  context.checkSite(site);
  const json = parseJsonBody(NAME, body, limits);
  if (!isObject(json)) throw bad(NAME, 'the body must be a JSON object');
  const clientId =
    optId(NAME, json.client_id, 'client_id', limits) ?? optId(NAME, json.app_instance_id, 'app_instance_id', limits);
  if (clientId === null || clientId === '') throw bad(NAME, 'client_id (or app_instance_id) is required');
  const userId = optId(NAME, json.user_id, 'user_id', limits);
  const visitorParams = new Params(NAME, 'user_properties', limits).add('userId', userId);
  const userProperties = optObject(NAME, json.user_properties, 'user_properties');
  if (userProperties) {
    for (const key of Object.keys(userProperties)) {
      const p = userProperties[key];
      if (!isObject(p)) throw bad(NAME, `user_properties.${key} must be an object {"value": ...}`);
      visitorParams.addAll({ [key]: p.value });
    }
  }
  const visitor = visitorParams.done();
  const events = json.events;
  if (!Array.isArray(events)) throw bad(NAME, events === undefined ? 'events is missing' : 'events must be an array');
  if (events.length > limits.maxEvents) throw tooManyEvents(NAME, 'events', events.length, limits);
  const defaultMicros = json.timestamp_micros;
  return events.map((e, i) => {
    const where = `events[${i}]`;
    if (!isObject(e)) throw bad(NAME, `${where} must be an object`);
    const name = optString(NAME, e.name, `${where}.name`, limits);
    if (name === null || name === '') throw bad(NAME, `${where}.name is required`);
    const params = optObject(NAME, e.params, `${where}.params`) ?? {};
    const str = (key: string): string | null => optId(NAME, params[key], `${where}.params.${key}`, limits);
    const micros = e.timestamp_micros ?? defaultMicros;
    const ts = micros === undefined || micros === null ? 0 : Number(micros);
    if (!Number.isFinite(ts)) throw bad(NAME, `${where}.timestamp_micros must be a number`);
    const screen = /^(\d{1,5})x(\d{1,5})$/.exec(str('screen_resolution') ?? '');
    const eventParams = new Params(NAME, `${where}.params`, limits);
    for (const key of Object.keys(params)) if (!MAPPED.has(key)) eventParams.addAll({ [key]: params[key] });
    eventParams.add('_input', NAME).add('_site', site);
    return inputEvent(request, {
      type: name === 'page_view' ? 'page' : name,
      visitorId: clientId,
      sessionId: str('session_id') ?? '',
      clientTS: Math.trunc(ts / 1000),
      page: str('page_location'),
      referer: str('page_referrer'),
      browserLanguage: str('language'),
      screenWidth: screen ? Number(screen[1]) : 0,
      screenHeight: screen ? Number(screen[2]) : 0,
      visitorParams: visitor,
      eventParams: eventParams.done(),
    });
  });
}
