/** Formatters by zone name (a site's visitors send a handful): Intl builds each once. */
const formats = new Map<string, Intl.DateTimeFormat | null>();
const MAX_ZONES = 1000;

/**
 * The `tz_off` column from Snowplow's `tz` (an IANA zone name such as `Europe/Paris`) at the
 * event's time: minutes as the pixel's `getTimezoneOffset()` (UTC minus local: Paris in winter is
 * `-60`). Null for a name Intl does not know.
 */
export function zoneOffset(zone: string, at: number): string | null {
  let format = formats.get(zone);
  if (format === undefined) {
    format = null;
    if (zone.length <= 64) {
      try {
        format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
      } catch {
        // RangeError: not a zone name
      }
    }
    if (formats.size < MAX_ZONES) formats.set(zone, format);
  }
  if (format === null) return null;
  let name: string | undefined;
  try {
    name = format.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value;
  } catch {
    return null;
  }
  const match = /^GMT(?:([+-])(\d\d):(\d\d))?$/.exec(name ?? '');
  if (match === null) return null;
  const east = match[1] === undefined ? 0 : (Number(match[2]) * 60 + Number(match[3])) * (match[1] === '+' ? 1 : -1);
  return String(0 - east || 0);
}
