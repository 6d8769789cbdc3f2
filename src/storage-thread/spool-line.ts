import type { TrackedEvent } from '../event/event.js';

/**
 * One event as one line of a durable spool segment: a JSON array of the TrackedEvent fields in a
 * fixed order (shorter than an object, and no key can be misspelt on the way back).
 */
export function eventLine(e: TrackedEvent): string {
  return (
    JSON.stringify([
      e.serverTS,
      e.clientTS,
      e.origAddress,
      e.visitorId,
      e.sessionId,
      e.globalVisitorId,
      e.page,
      e.referer,
      e.ua,
      e.type,
      e.visitorParams,
      e.sessionParams,
      e.eventParams,
      e.browserWidth,
      e.browserHeight,
      e.screenWidth,
      e.screenHeight,
      e.browserLanguage,
      e.tzOffset,
    ]) + '\n'
  );
}

const FIELDS = 19;

/** The event of a spool line (without its newline); undefined for a torn or foreign line. */
export function lineEvent(line: string): TrackedEvent | undefined {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(a) || a.length !== FIELDS || typeof a[0] !== 'number' || typeof a[3] !== 'string')
    return undefined;
  return {
    serverTS: a[0],
    clientTS: a[1],
    origAddress: a[2],
    visitorId: a[3],
    sessionId: a[4],
    globalVisitorId: a[5],
    page: a[6],
    referer: a[7],
    ua: a[8],
    type: a[9],
    visitorParams: a[10],
    sessionParams: a[11],
    eventParams: a[12],
    browserWidth: a[13],
    browserHeight: a[14],
    screenWidth: a[15],
    screenHeight: a[16],
    browserLanguage: a[17],
    tzOffset: a[18],
  };
}

/**
 * The events of a segment's text, by line number (the number is part of each event's message id,
 * so it must not shift): a torn last line (a crash mid-append) or an unreadable one is a hole.
 */
export function segmentEvents(text: string): Array<TrackedEvent | undefined> {
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a torn line
  return lines.map(lineEvent);
}
