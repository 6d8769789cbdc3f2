import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface LivePageAsset {
  readonly body: Buffer;
  readonly contentType: string;
}

/**
 * The live page's static files (index.html, live-page.js, live-page.css), read once at start.
 * They stay plain files beside this module's source (the package ships src/), so tsc needs no copy
 * step: from dist/src/server/live-page/ the source folder is four levels up, then src/server/live-page/.
 */
export function loadLivePageAssets(): { html: LivePageAsset; script: LivePageAsset; style: LivePageAsset } {
  const candidates = [new URL('./', import.meta.url), new URL('../../../../src/server/live-page/', import.meta.url)];
  const dir = candidates.map((u) => fileURLToPath(u)).find((d) => existsSync(d + 'live-page.js'));
  if (!dir) throw new Error(`the live page files are missing (looked in ${candidates.map((u) => fileURLToPath(u)).join(', ')})`);
  const read = (name: string, contentType: string): LivePageAsset => ({ body: readFileSync(dir + name), contentType });
  return {
    html: read('index.html', 'text/html; charset=utf-8'),
    script: read('live-page.js', 'text/javascript; charset=utf-8'),
    style: read('live-page.css', 'text/css; charset=utf-8'),
  };
}
