import { build } from 'esbuild';
import path from 'node:path';

/**
 * Bundles a browser tracker installed from npm into one IIFE script for a test page: `source` is
 * the entry (ES module text importing the package and putting what the page needs on `window`).
 */
export async function bundleForBrowser(source: string): Promise<string> {
  const result = await build({
    stdin: { contents: source, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
    nodePaths: [path.join(process.cwd(), 'node_modules')],
  });
  return result.outputFiles[0].text;
}
