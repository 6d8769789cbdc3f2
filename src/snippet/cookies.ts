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
const legacyExpired: Record<string, 1> = {};

export function setCookieDomain(value: string): void {
  if (/[;,\s]/.test(value)) throw 'bad cookie domain';
  domain = value;
}

export function readCookie(name: string): string | null {
  let cookies: string[] | undefined;
  if (!broken) {
    try {
      cookies = document.cookie.split('; ');
    } catch (error) {
      cookieApiFailed(error);
    }
  }
  if (!cookies) return name in memory ? memory[name] : null;
  for (const cookie of cookies) {
    const eq = cookie.indexOf('=');
    if (cookie.slice(0, eq) === name) {
      try {
        return decodeURIComponent(cookie.slice(eq + 1));
      } catch {
        return null; // a value another script mangled: as if missing, and replaced at the next write
      }
    }
  }
  return null;
}

/** Writes (or, with `null`, deletes) a cookie living `seconds` from now. */
export function writeCookie(name: string, value: string | null, seconds: number): void {
  if (value === null) delete memory[name];
  else memory[name] = value;
  if (broken) return;
  try {
    // The original snippet wrote `domain=<host>` cookies; listed first, they would hide ours for
    // up to two years: expire them (a no-op when there are none).
    if (!domain && !legacyExpired[name]) {
      document.cookie = name + '=; max-age=0; path=/; domain=' + location.hostname;
      legacyExpired[name] = 1;
    }
    document.cookie =
      name +
      '=' +
      (value === null ? '' : encodeURIComponent(value)) +
      '; max-age=' +
      (value === null ? 0 : seconds) +
      '; path=/' +
      (domain && '; domain=' + domain) +
      '; SameSite=Lax' +
      (location.protocol === 'https:' ? '; Secure' : '');
  } catch (error) {
    cookieApiFailed(error);
  }
}

function cookieApiFailed(error: unknown): void {
  broken = true;
  warn('cookies unavailable', error);
}
