import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import vm from 'node:vm';
import { renderSnippet, SNIPPET_FILE, type SnippetPaths } from '../../src/server/routes/snippet.js';

/** One cookie write as the snippet made it, parsed. */
export interface CookieWrite {
  readonly name: string;
  readonly value: string;
  readonly attributes: string[];
}

export interface FakePageOptions {
  readonly href?: string;
  readonly scriptSrc?: string;
  readonly referrer?: string;
  readonly sessionExpiration?: number;
  /** Commands pushed before the script loads. */
  readonly queued?: unknown[];
  readonly cookieApiThrows?: boolean;
  readonly globalPrivacyControl?: boolean;
  readonly doNotTrack?: string;
  /** The collector's `paths.pixel` and `paths.snippet` (default: WT1's). */
  readonly paths?: SnippetPaths;
}

/**
 * The served snippet run in a node:vm context standing for a page: just enough DOM (cookies,
 * location, Image, sendBeacon, history, events) to watch what it sends and writes. The real
 * browser test (browser.test.ts) proves the same against Chromium; this one is fast and covers
 * the corners Chromium cannot be asked for (a throwing cookie API, no script src, ...).
 */
export function fakePage(options: FakePageOptions = {}) {
  let href = new URL(options.href ?? 'https://site.example/shop/item.html?id=7#reviews');
  const jar = new Map<string, string>();
  const cookieWrites: CookieWrite[] = [];
  const images: string[] = [];
  const beacons: Array<{ url: string; body: string }> = [];
  const warnings: unknown[][] = [];
  const listeners = new Map<string, Array<(event: { type: string }) => void>>();
  let visibilityState = 'visible';

  const document = {
    get cookie(): string {
      if (options.cookieApiThrows) throw new Error('SecurityError: cookies are disabled in this sandbox');
      return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    },
    set cookie(text: string) {
      if (options.cookieApiThrows) throw new Error('SecurityError: cookies are disabled in this sandbox');
      const [pair, ...attributes] = text.split('; ');
      const eq = pair.indexOf('=');
      const write = { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
      cookieWrites.push(write);
      if (attributes.includes('max-age=0')) jar.delete(write.name);
      else jar.set(write.name, write.value);
    },
    referrer: options.referrer ?? 'https://search.example/',
    currentScript: options.scriptSrc === '' ? null : { src: options.scriptSrc ?? 'https://t.example/track.js' },
    documentElement: { clientWidth: 1000, clientHeight: 700 },
    get visibilityState() {
      return visibilityState;
    },
  };
  const history = {
    pushState(_state: unknown, _title: string, url: string) {
      href = new URL(url, href);
    },
    replaceState(_state: unknown, _title: string, url: string) {
      href = new URL(url, href);
    },
  };
  const window: Record<string, unknown> = {
    document,
    history,
    navigator: {
      language: 'fr-FR',
      globalPrivacyControl: options.globalPrivacyControl,
      doNotTrack: options.doNotTrack ?? null,
      sendBeacon(url: string, body: string) {
        beacons.push({ url, body });
        return true;
      },
    },
    screen: { width: 1920, height: 1080 },
    innerWidth: 1280,
    innerHeight: 720,
    crypto: webcrypto,
    URL,
    Image: class {
      set src(url: string) {
        images.push(url);
      }
    },
    fetch: () => {
      throw new Error('fetch is not expected: sendBeacon accepted the hit');
    },
    console: { warn: (...args: unknown[]) => warnings.push(args) },
    addEventListener(type: string, listener: (event: { type: string }) => void) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
  };
  Object.defineProperty(window, 'location', { get: () => href, enumerable: true });
  window.window = window;
  if (options.queued) window._wt1Q = [...options.queued];
  const context = vm.createContext(window);
  const template = readFileSync(SNIPPET_FILE, 'utf8');
  const code = renderSnippet(template, options.sessionExpiration ?? 1800, options.paths).body.toString('utf8');
  const load = (): void => {
    vm.runInContext(code, context);
  };
  load();

  return {
    jar,
    cookieWrites,
    images,
    beacons,
    warnings,
    /** Loads the script a second time (a page with two script tags). */
    load,
    push: (...commands: unknown[]): void => {
      (window._wt1Q as { push(...c: unknown[]): void }).push(...commands);
    },
    queue: (): unknown => window._wt1Q,
    /**
     * Dispatches an event: `window.event` is set while the snippet's listeners and then the page's
     * own handler (`during`) run, as in a browser.
     */
    dispatch(type: string, during?: () => void) {
      window.event = { type };
      try {
        for (const listener of listeners.get(type) ?? []) listener({ type });
        during?.();
      } finally {
        window.event = undefined;
      }
    },
    setVisibility(state: 'visible' | 'hidden') {
      visibilityState = state;
    },
    pushState: (url: string): void => {
      (window.history as typeof history).pushState(null, '', url);
    },
    replaceState: (url: string): void => {
      (window.history as typeof history).replaceState(null, '', url);
    },
    goTo(url: string) {
      href = new URL(url, href);
    },
  };
}

/** The params of a GIF URL or a POST body, decoded. */
export function hitParams(urlOrBody: string): Record<string, string> {
  const q = urlOrBody.indexOf('?');
  return Object.fromEntries(new URLSearchParams(q === -1 ? urlOrBody : urlOrBody.slice(q + 1)));
}
