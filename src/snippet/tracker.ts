import { readCookie, setCookieDomain, writeCookie } from './cookies.js';
import { newId } from './ids.js';
import { decodeQuery, encodeQuery, type Params } from './query.js';
import { send } from './transport.js';
import { warn } from './warn.js';

/** Seconds: the visitor id and visitor params live two years; the session follows the collector. */
const VISITOR_LIFETIME = 2 * 365 * 24 * 3600;
const SESSION_LIFETIME = __WT1_SESSION_EXPIRATION__;
const VISITOR_ID = '__wt1vic';
const SESSION_ID = '__wt1sic';
const VISITOR_PARAMS = '__wt1vpc';
const SESSION_PARAMS = '__wt1spc';

let trackerUrl = '';
let captureSizes = true;
let respectPrivacy = false;
let followHistory = false;

/**
 * The pixel URL beside the script: `https://t.example/track.js` and `https://t.example/public/track.js`
 * give `https://t.example/public/p.gif`; a path prefix (`/wt1/track.js`) is kept. With `paths.*` set,
 * the collector's own paths take their place (src/server/routes/snippet.ts).
 */
export function trackerUrlBeside(scriptSrc: string): void {
  trackerUrl = scriptSrc.replace(__WT1_SCRIPT_PATH__, __WT1_PIXEL_PATH__);
}

/** The page URL sent as `__wt1loc`: path and query, without the fragment (which may hold tokens). */
const pageUrl = (): string => location.href.split('#')[0];

const paramName = (name: unknown): string => {
  if ((typeof name !== 'string' && typeof name !== 'number') || name === '') throw 'bad param name';
  return String(name);
};

const paramValue = (value: unknown): string => {
  if (value == null || typeof value === 'object') throw 'bad param value';
  return String(value);
};

/** Reads a params cookie, lets `edit` change it, writes it back (deleted when empty). */
function editParams(cookie: string, lifetime: number, edit: (params: Params) => void): void {
  const stored = readCookie(cookie);
  const params = stored ? decodeQuery(stored) : {};
  edit(params);
  const query = encodeQuery(params);
  writeCookie(cookie, query || null, lifetime);
}

function privacySignal(): boolean {
  const nav = navigator;
  return (
    nav.globalPrivacyControl === true ||
    nav.doNotTrack === '1' ||
    (window as { doNotTrack?: string }).doNotTrack === '1'
  );
}

/** Reads an id cookie (making the id when missing) and renews its lifetime: sessions slide. */
function renewId(cookie: string, lifetime: number): string {
  const id = readCookie(cookie) || newId();
  writeCookie(cookie, id, lifetime);
  return id;
}

function track(type: string, extra: unknown, referrer = document.referrer): void {
  if (extra != null && typeof extra !== 'object') throw 'bad params';
  if (!trackerUrl) throw 'no tracker URL';
  if (respectPrivacy && privacySignal()) return;
  const params: Params = {};
  if (extra) {
    const given = extra as Record<string, unknown>;
    for (const name of Object.keys(given)) if (given[name] != null) params[name] = String(given[name]);
  }
  params.__wt1ts = String(Date.now());
  params.__wt1ty = type;
  params.__wt1tzo = String(new Date().getTimezoneOffset());
  params.__wt1lang = navigator.language;
  params[VISITOR_ID] = renewId(VISITOR_ID, VISITOR_LIFETIME);
  params[SESSION_ID] = renewId(SESSION_ID, SESSION_LIFETIME);
  const visitorParams = readCookie(VISITOR_PARAMS);
  if (visitorParams) params[VISITOR_PARAMS] = visitorParams;
  const sessionParams = readCookie(SESSION_PARAMS);
  if (sessionParams) {
    params[SESSION_PARAMS] = sessionParams;
    writeCookie(SESSION_PARAMS, sessionParams, SESSION_LIFETIME); // session params slide with the session
  }
  if (captureSizes) {
    const root = document.documentElement;
    params.__wt1bw = String(innerWidth || root.clientWidth);
    params.__wt1bh = String(innerHeight || root.clientHeight);
    params.__wt1sw = String(screen.width);
    params.__wt1sh = String(screen.height);
  }
  params.__wt1ref = referrer;
  params.__wt1loc = pageUrl();
  send(trackerUrl, encodeQuery(params));
}

/** Single-page apps: a page view on each `pushState` and `popstate` that changes the URL. */
function trackHistory(): void {
  if (followHistory) return;
  followHistory = true;
  let last = pageUrl();
  const onChange = (): void => {
    const now = pageUrl();
    if (now === last) return;
    const previous = last;
    last = now;
    // Not through a command: the page cannot choose the referrer of a hit.
    attempt(['trackPage'], () => track('page', null, previous));
  };
  const pushState = history.pushState;
  history.pushState = function (this: History, ...args: Parameters<History['pushState']>) {
    pushState.apply(this, args);
    onChange();
  };
  // A replaced URL is no page view, but it is where the next one comes from.
  const replaceState = history.replaceState;
  history.replaceState = function (this: History, ...args: Parameters<History['replaceState']>) {
    replaceState.apply(this, args);
    last = pageUrl();
  };
  addEventListener('popstate', onChange);
}

/** Every command of `_wt1Q.push([name, ...args])`: WT1's names and arguments, plus three of wt1's. */
const COMMANDS: Record<string, (a: unknown, b: unknown) => void> = {
  trackPage: (extra) => track('page', extra),
  trackEvent: (extra) => track('event', extra),
  setVisitorParam: (name, value) =>
    editParams(VISITOR_PARAMS, VISITOR_LIFETIME, (p) => {
      p[paramName(name)] = paramValue(value);
    }),
  delVisitorParam: (name) =>
    editParams(VISITOR_PARAMS, VISITOR_LIFETIME, (p) => {
      delete p[paramName(name)];
    }),
  clearVisitorParams: () => writeCookie(VISITOR_PARAMS, null, 0),
  setSessionParam: (name, value) =>
    editParams(SESSION_PARAMS, SESSION_LIFETIME, (p) => {
      p[paramName(name)] = paramValue(value);
    }),
  delSessionParam: (name) =>
    editParams(SESSION_PARAMS, SESSION_LIFETIME, (p) => {
      delete p[paramName(name)];
    }),
  clearSessionParams: () => writeCookie(SESSION_PARAMS, null, 0),
  setSizeCapture: (on) => {
    captureSizes = on === 'true' || on === true;
  },
  setCookieDomain: (domain) => setCookieDomain(paramValue(domain)),
  setTrackerUrl: (url) => {
    trackerUrl = new URL(paramValue(url), location.href).href;
  },
  enableHistoryTracking: trackHistory,
  respectPrivacySignals: () => {
    respectPrivacy = true;
  },
};

/**
 * Runs one command. A malformed or unknown command logs one console warning and is skipped: the
 * snippet never throws into the host page (the original threw on unknown commands).
 */
export function run(command: unknown): void {
  attempt(command, () => {
    if (!Array.isArray(command) || !COMMANDS.hasOwnProperty(command[0])) throw 'unknown command';
    COMMANDS[command[0]](command[1], command[2]);
  });
}

function attempt(command: unknown, action: () => void): void {
  try {
    action();
  } catch (error) {
    warn('skipped command', command, error);
  }
}
