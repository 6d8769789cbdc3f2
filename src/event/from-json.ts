import type { TrackedEvent } from './event.js';
import { generateId } from './from-pixel.js';
import { encodePairs } from './query-string.js';
import { Wt1Error } from '../errors.js';

/**
 * The body of `POST /public/events` (WT1-REFERENCE §3), after validation. Message-level fields are
 * copied into every event; `params`, `vparams` and `sparams` are URL-encoded query strings.
 */
export interface EventsMessage {
  readonly visitorId: string | null;
  readonly sessionId: string | null;
  readonly vparams: string | null;
  readonly sparams: string | null;
  readonly ua: string | null;
  readonly clientLang: string | null;
  readonly events: readonly ApiEvent[];
}

export interface ApiEvent {
  readonly type: string | null;
  /** ms since epoch; 0 when not sent (the original always wrote 0). */
  readonly clientTS: number;
  readonly page: string | null;
  readonly referer: string | null;
  readonly params: string | null;
}

export interface MessageLimits {
  readonly maxEvents: number;
  readonly maxFieldLength: number;
}

/** What the HTTP layer knows about the request. */
export interface ApiRequestFacts {
  readonly now: number;
  readonly clientAddress: string;
  /** The request's User-Agent header, used when the message has no `ua`. */
  readonly userAgent: string | undefined;
}

const MESSAGE_STRINGS = ['visitorId', 'sessionId', 'vparams', 'sparams', 'ua', 'clientLang'] as const;

/**
 * Validates a parsed JSON body. Throws a Wt1Error naming the field (and event index): 400 for a
 * wrong shape or type, 413 for a limit (events per message, string length). Unknown fields are
 * ignored, so newer clients keep working with this server.
 */
export function parseEventsMessage(body: unknown, limits: MessageLimits): EventsMessage {
  if (!isObject(body)) throw bad('the body must be a JSON object');
  const fields: Record<string, string | null> = {};
  for (const name of MESSAGE_STRINGS) fields[name] = optionalString(body[name], name, limits);
  const events = body.events;
  if (events === undefined || events === null) throw bad('events is missing');
  if (!Array.isArray(events)) throw bad('events must be an array');
  if (events.length === 0) throw bad('events must not be empty');
  if (events.length > limits.maxEvents) {
    throw new Wt1Error(
      'WT1_ERR_BODY_TOO_LARGE',
      `events has ${events.length} events, more than the limit of ${limits.maxEvents} per message`,
    );
  }
  const parsed: ApiEvent[] = new Array(events.length);
  for (let i = 0; i < events.length; i++) parsed[i] = parseEvent(events[i], `events[${i}]`, limits);
  return {
    visitorId: fields.visitorId,
    sessionId: fields.sessionId,
    vparams: fields.vparams,
    sparams: fields.sparams,
    ua: fields.ua,
    clientLang: fields.clientLang,
    events: parsed,
  };
}

function parseEvent(value: unknown, where: string, limits: MessageLimits): ApiEvent {
  if (!isObject(value)) throw bad(`${where} must be an object`);
  const clientTS = value.clientTS;
  if (clientTS !== undefined && clientTS !== null && (typeof clientTS !== 'number' || !Number.isFinite(clientTS))) {
    throw bad(`${where}.clientTS must be a number`);
  }
  return {
    type: optionalString(value.type, `${where}.type`, limits),
    clientTS: typeof clientTS === 'number' ? Math.trunc(clientTS) : 0,
    page: optionalString(value.page, `${where}.page`, limits),
    referer: optionalString(value.referer, `${where}.referer`, limits),
    params: params(value.params, `${where}.params`, limits),
  };
}

/** `params` as a query string, or as an object of scalar values (encoded here). */
function params(value: unknown, where: string, limits: MessageLimits): string | null {
  if (value === undefined || value === null || typeof value === 'string') return optionalString(value, where, limits);
  if (!isObject(value)) throw bad(`${where} must be a string (a query string) or an object`);
  const pairs: Array<[string, string]> = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === null || v === undefined) continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw bad(`${where}.${key} must be a string, a number or a boolean`);
    // 1e400 parses as Infinity
    if (typeof v === 'number' && !Number.isFinite(v)) throw bad(`${where}.${key} must be a finite number`);
    pairs.push([key, String(v)]);
  }
  return optionalString(encodePairs(pairs), where, limits);
}

function optionalString(value: unknown, where: string, limits: MessageLimits): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw bad(`${where} must be a string`);
  if (value.length > limits.maxFieldLength) {
    throw new Wt1Error(
      'WT1_ERR_BODY_TOO_LARGE',
      `${where} is ${value.length} characters long, more than the limit of ${limits.maxFieldLength}`,
    );
  }
  return value;
}

/**
 * One TrackedEvent per event of the message, in the pixel's columns. A missing visitor or session
 * id is generated once per message (`Z` + 32 hex digits, as the pixel does), so the events of one
 * message stay together.
 */
export function eventsFromMessage(message: EventsMessage, facts: ApiRequestFacts): TrackedEvent[] {
  const visitorId = message.visitorId || generateId();
  const sessionId = message.sessionId || generateId();
  const ua = message.ua ?? facts.userAgent ?? null;
  return message.events.map((e) => ({
    serverTS: facts.now,
    clientTS: e.clientTS,
    origAddress: facts.clientAddress,
    visitorId,
    sessionId,
    globalVisitorId: null,
    page: e.page,
    referer: e.referer,
    ua,
    type: e.type,
    visitorParams: message.vparams,
    sessionParams: message.sparams,
    eventParams: e.params,
    browserWidth: 0,
    browserHeight: 0,
    screenWidth: 0,
    screenHeight: 0,
    browserLanguage: message.clientLang,
    tzOffset: null,
  }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(reason: string): Wt1Error {
  return new Wt1Error('WT1_ERR_BAD_REQUEST', reason);
}
