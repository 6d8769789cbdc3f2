import type { TrackedEvent } from '../event/event.js';
import { EVENT_LENGTH, eventAt, pushEventFields } from './protocol.js';

/** An EVENT record without its tag. */
const EVENT_FIELDS = EVENT_LENGTH - 1;

/**
 * One event as one line of a durable spool segment: a JSON array of the TrackedEvent fields in a
 * fixed order (shorter than an object, and no key can be misspelt on the way back).
 */
export function eventLine(e: TrackedEvent): string {
  const fields: unknown[] = [];
  pushEventFields(fields, e);
  return JSON.stringify(fields) + '\n';
}

/** The event of a spool line (without its newline); undefined for a torn or foreign line. */
export function lineEvent(line: string): TrackedEvent | undefined {
  let a: unknown;
  try {
    a = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!Array.isArray(a) || a.length !== EVENT_FIELDS || typeof a[0] !== 'number' || typeof a[3] !== 'string')
    return undefined;
  return eventAt(a, 0);
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
