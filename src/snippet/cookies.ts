import { warn } from './warn.js';

/**
 * First-party cookies of the site, `SameSite=Lax`, `Secure` on https pages. Values are
 * URI-encoded, as the original snippet wrote them, so cookies it left behind are read back.
 * When the cookie API throws (a sandboxed frame, a hardened browser), one warning is logged and
 * the values live in memory for the life of the page.
 */
const memory: Record<string, string> = {};
let domain = '';
let broken = false;

export function setCookieDomain(value: string): void {
  if (/[;,\s]/.test(value)) throw 'bad cookie domain';
  domain = value;
}

export function readCookie(name: string): string | null {
  if (!broken) {
    try {
      for (const cookie of document.cookie.split('; ')) {
        const eq = cookie.indexOf('=');
        if (cookie.slice(0, eq) === name) return decodeURIComponent(cookie.slice(eq + 1));
      }
      return null;
    } catch (error) {
      cookieApiFailed(error);
    }
  }
  return name in memory ? memory[name] : null;
}

/** Writes (or, with `null`, deletes) a cookie living `seconds` from now. */
export function writeCookie(name: string, value: string | null, seconds: number): void {
  if (value === null) delete memory[name];
  else memory[name] = value;
  if (broken) return;
  try {
    document.cookie = name + '=' + (value === null ? '' : encodeURIComponent(value)) +
      '; max-age=' + (value === null ? 0 : seconds) + '; path=/' + (domain && '; domain=' + domain) +
      '; SameSite=Lax' + (location.protocol === 'https:' ? '; Secure' : '');
  } catch (error) {
    cookieApiFailed(error);
  }
}

function cookieApiFailed(error: unknown): void {
  broken = true;
  warn('cookies unavailable', error);
}
