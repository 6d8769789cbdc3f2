import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface LivePageAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/** The page's script, bundled from page/*.ts by scripts/build-live-page.mjs (dist/live-page/, beside dist/src/). */
export const LIVE_PAGE_SCRIPT = fileURLToPath(new URL('../../../live-page/live-page.js', import.meta.url));

/**
 * The live page's files, read once at start: index.html and live-page.css stay plain files beside
 * this module's source (the package ships src/), so tsc needs no copy step: from
 * dist/src/server/live-page/ the source folder is four levels up, then src/server/live-page/.
 * live-page.js is the bundle built from page/ (TypeScript).
 */
export function loadLivePageAssets(): { html: LivePageAsset; script: LivePageAsset; style: LivePageAsset } {
  const candidates = [new URL('./', import.meta.url), new URL('../../../../src/server/live-page/', import.meta.url)];
  const dir = candidates.map((u) => fileURLToPath(u)).find((d) => existsSync(d + 'index.html'));
  if (!dir) {
    const looked = candidates.map((u) => fileURLToPath(u)).join(', ');
    throw new Error(`the live page files are missing (looked in ${looked})`);
  }
  if (!existsSync(LIVE_PAGE_SCRIPT)) {
    throw new Error(`the live page script is not built: ${LIVE_PAGE_SCRIPT} is missing (run npm run build)`);
  }
  const read = (file: string, contentType: string): LivePageAsset => ({ body: readFileSync(file), contentType });
  return {
    html: read(dir + 'index.html', 'text/html; charset=utf-8'),
    script: read(LIVE_PAGE_SCRIPT, 'text/javascript; charset=utf-8'),
    style: read(dir + 'live-page.css', 'text/css; charset=utf-8'),
  };
}
