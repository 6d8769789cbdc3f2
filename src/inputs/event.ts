import type { TrackedEvent } from '../event/event.js';
import type { InputRequest } from './input.js';

/** The fields an input fills; the rest come from the request or default to "unknown". */
export interface InputEventFields {
  readonly type: string | null;
  readonly visitorId: string;
  /** The tracker's session id, '' when it has none (the pixel's generated one would mislead). */
  readonly sessionId?: string;
  readonly clientTS?: number;
  /** Page URL; default: the request's Referer (the page, for a same-origin or full-URL referrer policy). */
  readonly page?: string | null;
  readonly referer?: string | null;
  /** Default: the request's User-Agent. */
  readonly ua?: string | null;
  readonly visitorParams?: string | null;
  readonly sessionParams?: string | null;
  readonly eventParams: string | null;
  readonly browserWidth?: number;
  readonly browserHeight?: number;
  readonly screenWidth?: number;
  readonly screenHeight?: number;
  /** Default: the first language of the request's Accept-Language. */
  readonly browserLanguage?: string | null;
  readonly tzOffset?: string | null;
}

/** A TrackedEvent in the pixel's columns, from an input's fields and the request's facts. */
export function inputEvent(request: InputRequest, f: InputEventFields): TrackedEvent {
  return {
    serverTS: request.now,
    clientTS: f.clientTS ?? 0,
    origAddress: request.clientAddress,
    visitorId: f.visitorId,
    sessionId: f.sessionId ?? '',
    globalVisitorId: null,
    page: f.page ?? request.referer ?? null,
    referer: f.referer ?? null,
    ua: f.ua ?? request.userAgent ?? null,
    type: f.type,
    visitorParams: f.visitorParams ?? null,
    sessionParams: f.sessionParams ?? null,
    eventParams: f.eventParams,
    browserWidth: f.browserWidth ?? 0,
    browserHeight: f.browserHeight ?? 0,
    screenWidth: f.screenWidth ?? 0,
    screenHeight: f.screenHeight ?? 0,
    browserLanguage: f.browserLanguage ?? firstLanguage(request.acceptLanguage),
    tzOffset: f.tzOffset ?? null,
  };
}

/** `fr-FR,fr;q=0.9,en;q=0.8` → `fr-FR`. */
export function firstLanguage(acceptLanguage: string | undefined): string | null {
  if (!acceptLanguage) return null;
  const first = acceptLanguage.split(',', 1)[0].split(';', 1)[0].trim();
  return first === '' || first === '*' ? null : first.slice(0, 64);
}
