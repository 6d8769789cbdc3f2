/**
 * One tracked event, as every processor (storage engine or handler) receives it. Field names follow
 * the original WT1 TrackedEvent, so the stream engine's JSON keeps the Kafka engine's keys.
 * Events are never mutated once enqueued: processors share the same object.
 */
export interface TrackedEvent {
  /** Server reception time, ms since epoch. */
  readonly serverTS: number;
  /** Client time as sent (`__wt1ts` / `clientTS`), ms since epoch; 0 when unknown. */
  readonly clientTS: number;
  /** Client address (after the trusted-proxy rule and `anonymizeIp`), IPv4-mapped shown as IPv4. */
  readonly origAddress: string;
  readonly visitorId: string;
  readonly sessionId: string;
  /** Third-party global visitor id; null when third-party cookies are off. */
  readonly globalVisitorId: string | null;
  /** Page URL (`location` column). */
  readonly page: string | null;
  readonly referer: string | null;
  readonly ua: string | null;
  readonly type: string | null;
  /** Query strings (URL-encoded) of the visitor, session and event params. */
  readonly visitorParams: string | null;
  readonly sessionParams: string | null;
  readonly eventParams: string | null;
  readonly browserWidth: number;
  readonly browserHeight: number;
  readonly screenWidth: number;
  readonly screenHeight: number;
  readonly browserLanguage: string | null;
  readonly tzOffset: string | null;
}
