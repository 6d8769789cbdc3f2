import type { TrackedEvent } from '../event/event.js';
import type { InputContext, InputRequest } from './input.js';
import { bad } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';
import { contextEntities, NAME, unstructEvent } from './snowplow-json.js';
import { zoneOffset } from './snowplow-tz.js';

/**
 * Tracker-protocol fields that fill a column or make the type (`ip` is ignored: anyone can write
 * any address; `client_addr` is the request's). Every other field goes to event_params by name.
 */
const MAPPED = new Set([
  'e',
  'aid',
  'url',
  'refr',
  'page',
  'ua',
  'lang',
  'res',
  'vp',
  'duid',
  'nuid',
  'sid',
  'vid',
  'uid',
  'dtm',
  'ttm',
  'ue_pr',
  'ue_px',
  'co',
  'cx',
  'ip',
]);

/** Event types (`e`) named by what they are; `se` is named by its action, `ue` by its schema. */
const TYPES: Readonly<Record<string, string>> = {
  pv: 'page',
  pp: 'page_ping',
  tr: 'transaction',
  ti: 'transaction_item',
};

/**
 * One tracker-protocol event (the query of `GET /i`, or one element of a POST's `data`) in the
 * pixel's columns. `where` prefixes field names in refusals (`data[2].`, or '' for a GET).
 */
export function snowplowEvent(
  fields: ReadonlyMap<string, string>,
  where: string,
  request: InputRequest,
  context: InputContext,
): TrackedEvent {
  const limits = context.limits;
  const get = (field: string): string | null => {
    const value = fields.get(field);
    return value === undefined || value === '' ? null : value;
  };
  const e = get('e');
  if (e === null) throw bad(NAME, `${where}e (the event type) is required`);
  const site = get('aid');
  context.checkSite(site);

  const params = new Params(NAME, `${where === '' ? 'the event' : where.slice(0, -1)}'s params`, limits);
  let type: string;
  let schema: string | null = null;
  if (e === 'ue') {
    const event = unstructEvent(fields, where, limits);
    if (event === null) throw bad(NAME, `${where}ue_pr or ue_px is required in a self-describing event (e=ue)`);
    type = event.name;
    schema = event.schema;
    params.addAll(event.data);
  } else if (e === 'se') {
    const action = get('se_ac');
    if (action === null) throw bad(NAME, `${where}se_ac (the action) is required in a structured event (e=se)`);
    type = action;
  } else {
    type = TYPES[e];
    if (type === undefined)
      throw bad(
        NAME,
        `${where}e ${JSON.stringify(e.slice(0, 20))} is not a Snowplow event type (pv, pp, se, ue, tr, ti)`,
      );
  }
  for (const [key, value] of fields) if (!MAPPED.has(key) && value !== '') params.add(key, value);

  // Entities of one name are `name.key`; several of one name `name.0.key`, `name.1.key`...
  const entities = contextEntities(fields, where, limits);
  const counts = new Map<string, number>();
  for (const entity of entities) counts.set(entity.name, (counts.get(entity.name) ?? 0) + 1);
  const seen = new Map<string, number>();
  for (const entity of entities) {
    const index = seen.get(entity.name) ?? 0;
    seen.set(entity.name, index + 1);
    params.addAll(entity.data, counts.get(entity.name)! > 1 ? `${entity.name}.${index}` : entity.name);
  }

  const ttm = get('ttm');
  const dtm = get('dtm');
  const clientTS = time(ttm ?? dtm, `${where}${ttm === null ? 'dtm' : 'ttm'}`);
  if (ttm !== null) params.add('dtm', dtm);
  const screen = dimensions(get('res'));
  const viewport = dimensions(get('vp'));
  if (screen === null) params.add('res', get('res'));
  if (viewport === null) params.add('vp', get('vp'));
  params
    .add('title', get('page'))
    .add('nuid', get('duid') === null ? null : get('nuid'))
    .add('_schema', schema)
    .add('_contexts', entities.length === 0 ? null : entities.map((x) => x.schema).join(','))
    .add('_input', NAME)
    .add('_site', site);

  const ua = get('ua') ?? request.userAgent ?? '';
  // SP-Anonymous: the tracker asks that the address not be kept (Snowplow's collector drops it).
  const anonymous = request.header('sp-anonymous') !== undefined;
  const visitorId =
    get('duid') ?? get('nuid') ?? (anonymous ? '' : context.visitorHash(site ?? '', request.clientAddress, ua));
  const event = inputEvent(request, {
    type,
    visitorId,
    sessionId: get('sid') ?? '',
    clientTS,
    page: get('url'),
    referer: get('refr'),
    ua: ua === '' ? null : ua,
    browserLanguage: get('lang'),
    screenWidth: screen?.[0],
    screenHeight: screen?.[1],
    browserWidth: viewport?.[0],
    browserHeight: viewport?.[1],
    tzOffset: get('tz') === null ? null : zoneOffset(get('tz')!, clientTS || request.now),
    visitorParams: new Params(NAME, `${where}uid`, limits).add('userId', get('uid')).done(),
    sessionParams: new Params(NAME, `${where}vid`, limits).add('vid', get('vid')).done(),
    eventParams: params.done(),
  });
  return anonymous ? { ...event, origAddress: '' } : event;
}

/** `dtm` / `ttm`: ms since 1970 as text; 0 when absent. */
function time(value: string | null, field: string): number {
  if (value === null) return 0;
  if (!/^\d{1,15}$/.test(value))
    throw bad(NAME, `${field} is not a time in ms since 1970: ${JSON.stringify(value.slice(0, 40))}`);
  return Number(value);
}

/** `1920x1080` → [1920, 1080]; null when it is not that (the text then goes to the params). */
function dimensions(value: string | null): [number, number] | null {
  const match = value === null ? null : /^(\d{1,9})x(\d{1,9})$/.exec(value);
  if (match === null) return null;
  const [w, h] = [Number(match[1]), Number(match[2])];
  return w <= 2147483647 && h <= 2147483647 ? [w, h] : null;
}
