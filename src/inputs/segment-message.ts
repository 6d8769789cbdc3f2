import type { TrackedEvent } from '../event/event.js';
import type { InputContext, InputRequest } from './input.js';
import { bad, isObject, optId, optObject, optString, optTime, size, type Json } from './fields.js';
import { inputEvent } from './event.js';
import { Params } from './params.js';

/** Message types of the Segment spec, by full and short (analytics.js) path name. */
export const SEGMENT_TYPES: Readonly<Record<string, string>> = {
  track: 'track',
  t: 'track',
  page: 'page',
  p: 'page',
  screen: 'screen',
  s: 'screen',
  identify: 'identify',
  i: 'identify',
  group: 'group',
  g: 'group',
  alias: 'alias',
  a: 'alias',
};

/**
 * One Segment-spec message (Segment, RudderStack; docs/inputs.md has the table) as an event.
 * `pathType`: the type the path implies (`/v1/track`), null in a batch where each message says it.
 */
export function segmentEvent(
  input: string,
  m: unknown,
  where: string,
  pathType: string | null,
  site: string | null,
  request: InputRequest,
  context: InputContext,
): TrackedEvent {
  if (!isObject(m)) throw bad(input, `${where} must be an object`);
  const limits = context.limits;
  const str = (value: unknown, name: string): string | null => optString(input, value, `${where}.${name}`, limits);
  const obj = (value: unknown, name: string): Json | null => optObject(input, value, `${where}.${name}`);

  const declared = str(m.type, 'type');
  const kind = pathType ?? (declared === null ? null : (SEGMENT_TYPES[declared] ?? null));
  if (kind === null)
    throw bad(
      input,
      declared === null
        ? `${where}.type is missing`
        : `${where}.type ${JSON.stringify(declared.slice(0, 40))} is not a Segment message type`,
    );
  const anonymousId = optId(input, m.anonymousId, `${where}.anonymousId`, limits);
  const userId = optId(input, m.userId, `${where}.userId`, limits);
  const visitorId = anonymousId ?? userId;
  if (visitorId === null || visitorId === '') throw bad(input, `${where}: anonymousId or userId is required`);

  const properties = obj(m.properties, 'properties');
  const traits = obj(m.traits, 'traits');
  const ctx = obj(m.context, 'context') ?? {};
  const page = optObject(input, ctx.page, `${where}.context.page`) ?? {};
  const screen = optObject(input, ctx.screen, `${where}.context.screen`) ?? {};
  const campaign = optObject(input, ctx.campaign, `${where}.context.campaign`);
  const contextTraits = optObject(input, ctx.traits, `${where}.context.traits`);
  const sessionId = optId(input, ctx.sessionId, `${where}.context.sessionId`, limits);

  let type: string;
  if (kind === 'track') {
    const event = str(m.event, 'event');
    if (event === null || event === '') throw bad(input, `${where}.event is required in a track message`);
    type = event;
  } else {
    type = kind;
  }
  const isView = kind === 'page' || kind === 'screen';
  const url = (isView ? str(properties?.url, 'properties.url') : null) ?? str(page.url, 'context.page.url');
  const referrer =
    (isView ? str(properties?.referrer, 'properties.referrer') : null) ?? str(page.referrer, 'context.page.referrer');

  const eventParams = new Params(input, `${where} (its properties)`, limits).addAll(properties);
  if (isView) {
    if (properties?.name === undefined) eventParams.add('name', str(m.name, 'name'));
    if (properties?.category === undefined) eventParams.add('category', str(m.category, 'category'));
  }
  if (kind === 'group')
    eventParams.add('groupId', optId(input, m.groupId, `${where}.groupId`, limits)).addAll(traits, 'traits');
  if (kind === 'alias') eventParams.add('previousId', optId(input, m.previousId, `${where}.previousId`, limits));
  eventParams.addAll(campaign, 'campaign');
  eventParams.add('_messageId', optId(input, m.messageId, `${where}.messageId`, limits));
  eventParams.add('_input', input).add('_site', site);

  const visitorParams = new Params(input, `${where} (its traits)`, limits).add('userId', userId);
  if (kind === 'identify') visitorParams.addAll(traits);
  visitorParams.addAll(contextTraits);

  return inputEvent(request, {
    type,
    visitorId,
    sessionId: sessionId ?? '',
    // `timestamp` when sent: a backdated event's time (rudder-sdk-node then sets originalTimestamp to now).
    clientTS: optTime(input, m.timestamp ?? m.originalTimestamp, `${where}.timestamp`),
    page: url,
    referer: referrer,
    ua: str(ctx.userAgent, 'context.userAgent'),
    browserLanguage: str(ctx.locale, 'context.locale'),
    screenWidth: size(screen.width),
    screenHeight: size(screen.height),
    browserWidth: size(screen.innerWidth),
    browserHeight: size(screen.innerHeight),
    visitorParams: visitorParams.done(),
    eventParams: eventParams.done(),
  });
}

/** The write key of a request: in the body, else as the user of `Authorization: Basic base64(key:)`. */
export function writeKeyOf(
  input: string,
  body: Json | null,
  request: InputRequest,
  context: InputContext,
): string | null {
  const inBody = body === null ? null : optString(input, body.writeKey, 'writeKey', context.limits);
  if (inBody !== null) return inBody;
  const auth = request.authorization;
  if (auth === undefined || !/^basic /i.test(auth)) return null;
  const decoded = Buffer.from(auth.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return (colon === -1 ? decoded : decoded.slice(0, colon)) || null;
}
