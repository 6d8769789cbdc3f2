import type { TrackedEvent } from '../event/event.js';
import type { InputContext, InputRequest } from './input.js';
import { bad, isObject, optId, optNumber, optObject, optString, optTime, size, type Json } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';

/**
 * Properties that go to a column (or to `_site`, `visitor_params`) rather than to `event_params`,
 * and those left out because they repeat a column (docs/inputs.md says why for each).
 */
const NOT_PARAMS = new Set([
  'distinct_id',
  'token',
  '$set',
  '$set_once',
  '$current_url',
  '$referrer',
  '$session_id',
  '$raw_user_agent',
  '$browser_language',
  '$screen_width',
  '$screen_height',
  '$viewport_width',
  '$viewport_height',
  '$timezone_offset',
  '$time',
  // Parts of location / referer / br_lang, and the SDK's own bookkeeping.
  '$host',
  '$pathname',
  '$referring_domain',
  '$browser_language_prefix',
  '$insert_id',
  '$lib_rate_limit_remaining_tokens',
]);
const SDK_DEBUG = '$sdk_debug_';

/**
 * One PostHog event (`{event, properties, distinct_id, timestamp, uuid}`) as a line: `$pageview`
 * is a page view (`page`), any other event keeps its name. posthog-js puts `distinct_id` and
 * `token` in `properties`, posthog-node beside them: both are read.
 */
export function posthogEvent(
  input: string,
  e: unknown,
  where: string,
  apiKey: string | null,
  request: InputRequest,
  context: InputContext,
): TrackedEvent {
  if (!isObject(e)) throw bad(input, `${where} must be an object`);
  const limits = context.limits;
  const str = (value: unknown, name: string): string | null => optString(input, value, `${where}.${name}`, limits);
  const num = (value: unknown, name: string): number | null => optNumber(input, value, `${where}.${name}`);

  const name = str(e.event, 'event');
  if (name === null || name === '') throw bad(input, `${where}.event is required`);
  const props = optObject(input, e.properties, `${where}.properties`) ?? {};
  const p = (field: string): string => `properties.${field}`;
  const distinctId =
    optId(input, e.distinct_id, `${where}.distinct_id`, limits) ??
    optId(input, props.distinct_id, `${where}.${p('distinct_id')}`, limits);
  if (distinctId === null || distinctId === '') throw bad(input, `${where}.distinct_id is required`);
  const site = apiKey ?? str(e.api_key, 'api_key') ?? str(e.token, 'token') ?? str(props.token, p('token'));
  context.checkSite(site);

  const referrer = str(props.$referrer, p('$referrer'));
  const tz = num(props.$timezone_offset, p('$timezone_offset'));
  const seconds = num(props.$time, p('$time'));
  const timestamp = optTime(input, e.timestamp, `${where}.timestamp`);

  // In `properties` (posthog-js, posthog-node) or beside them (older server SDKs): both are read.
  const set = merged(optObject(input, props.$set, `${where}.${p('$set')}`), optObject(input, e.$set, `${where}.$set`));
  const setOnce = merged(
    optObject(input, props.$set_once, `${where}.${p('$set_once')}`),
    optObject(input, e.$set_once, `${where}.$set_once`),
  );
  const visitorParams = new Params(input, `${where} ($set and $set_once)`, limits).addAll(set);
  // $set wins over $set_once, as in PostHog's person properties.
  if (setOnce !== null) visitorParams.addAll(set === null ? setOnce : without(setOnce, set));

  const eventParams = new Params(input, `${where} (its properties)`, limits);
  for (const key in props) {
    if (!Object.hasOwn(props, key) || NOT_PARAMS.has(key) || key.startsWith(SDK_DEBUG)) continue;
    eventParams.addAll({ [key]: props[key] });
  }
  eventParams.add('_messageId', optId(input, e.uuid, `${where}.uuid`, limits));
  eventParams.add('_input', input).add('_site', site);

  return inputEvent(request, {
    type: name === '$pageview' ? 'page' : name,
    visitorId: distinctId,
    sessionId: optId(input, props.$session_id, `${where}.${p('$session_id')}`, limits) ?? '',
    clientTS: timestamp !== 0 ? timestamp : seconds === null ? 0 : Math.round(seconds * 1000),
    page: str(props.$current_url, p('$current_url')),
    // posthog-js says `$direct` for "no referrer".
    referer: referrer === '$direct' ? null : referrer,
    ua: str(props.$raw_user_agent, p('$raw_user_agent')),
    browserLanguage: str(props.$browser_language, p('$browser_language')),
    screenWidth: sizeOf(num(props.$screen_width, p('$screen_width'))),
    screenHeight: sizeOf(num(props.$screen_height, p('$screen_height'))),
    browserWidth: sizeOf(num(props.$viewport_width, p('$viewport_width'))),
    browserHeight: sizeOf(num(props.$viewport_height, p('$viewport_height'))),
    tzOffset: tz === null ? null : String(Math.trunc(tz)),
    visitorParams: visitorParams.done(),
    eventParams: eventParams.done(),
  });
}

function sizeOf(value: number | null): number {
  return value === null ? 0 : size(Math.round(value));
}

/** `a` and `b` as one object (`b` wins), null when both are. */
function merged(a: Json | null, b: Json | null): Json | null {
  if (a === null || b === null) return a ?? b;
  const out: Json = Object.create(null);
  for (const o of [a, b]) for (const key in o) if (Object.hasOwn(o, key)) out[key] = o[key];
  return out;
}

function without(object: Json, keys: Json): Json {
  // No prototype: a `__proto__` key stays a key.
  const out: Json = Object.create(null);
  for (const key in object) if (Object.hasOwn(object, key) && !Object.hasOwn(keys, key)) out[key] = object[key];
  return out;
}
