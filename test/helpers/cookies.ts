/** One Set-Cookie header, split: name, value, and attributes keyed by lower-case name ('' for flags). */
export interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair, ...attrs] = raw.split(';');
  const eq = pair.indexOf('=');
  const attributes: Record<string, string> = {};
  for (const a of attrs) {
    const i = a.indexOf('=');
    if (i === -1) attributes[a.trim().toLowerCase()] = '';
    else attributes[a.slice(0, i).trim().toLowerCase()] = a.slice(i + 1).trim();
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes, raw };
}

/** Every Set-Cookie of a fetch Response, parsed, keyed by cookie name (the test fails on a duplicate). */
export function setCookiesOf(res: Response): Map<string, SetCookie> {
  const out = new Map<string, SetCookie>();
  for (const raw of res.headers.getSetCookie()) {
    const c = parseSetCookie(raw);
    if (out.has(c.name))
      throw new Error(`cookie ${c.name} set twice in one answer: ${res.headers.getSetCookie().join(' | ')}`);
    out.set(c.name, c);
  }
  return out;
}

/**
 * A tiny browser cookie jar for one host: applies Set-Cookie answers (Max-Age=0 deletes) and
 * gives the Cookie header to send.
 */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  apply(res: Response): void {
    for (const c of setCookiesOf(res).values()) {
      if (c.attributes['max-age'] === '0') this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
  }

  get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}
