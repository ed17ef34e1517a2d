import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The browser page: `GET /` serves `html`, which loads `script` from {@link PAGE_SCRIPT_PATH}. */
export interface DemoPage {
  readonly html: Buffer;
  /** public-src/app.ts with @sockauth/client and socket.io-client, bundled for browsers (one IIFE, no CDN). */
  readonly script: Buffer;
}

/** Where the page loads its script from (same origin, so the page's CSP can stay `script-src 'self'`). */
export const PAGE_SCRIPT_PATH = '/app.js';

/** The page's Content-Security-Policy: its own script only, no inline code, no other origin. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

const INDEX_HTML = fileURLToPath(new URL('../public/index.html', import.meta.url));
const ENTRY = fileURLToPath(new URL('../public-src/app.ts', import.meta.url));

let loading: Promise<DemoPage> | undefined;

/**
 * Builds the page once per process, in memory, with esbuild's JS API: no build step before `npm run demo`, nothing
 * written to disk, and a broken page script fails the server start instead of a browser later. Workspace packages
 * are bundled from their TypeScript sources (the `@sockauth/source` condition), like the server runs them.
 *
 * @example
 * ```ts
 * const { html, script } = await loadDemoPage(); // serve html at GET /, script at GET /app.js
 * ```
 */
export function loadDemoPage(): Promise<DemoPage> {
  loading ??= buildPage().catch((error: unknown) => {
    loading = undefined; // let a later call try again
    throw error;
  });
  return loading;
}

async function buildPage(): Promise<DemoPage> {
  const [html, result] = await Promise.all([
    readFile(INDEX_HTML),
    build({
      entryPoints: [ENTRY],
      bundle: true,
      write: false,
      outfile: 'app.js',
      format: 'iife',
      platform: 'browser',
      target: ['es2020'],
      conditions: ['@sockauth/source'],
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
  ]);
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error('esbuild produced no output for the page script');
  return { html, script: Buffer.from(output.contents) };
}
