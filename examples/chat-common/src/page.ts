import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The browser page: `GET /` serves `html`, which loads `script` from {@link PAGE_SCRIPT_PATH}. */
export interface DemoPage {
  readonly html: Buffer;
  /** The flavour's entry (public-src/app.ts or ws-app.ts) with @sockauth/client, bundled for browsers (one IIFE, no CDN). */
  readonly script: Buffer;
}

/** Where the page loads its script from (same origin, so the page's CSP can stay `script-src 'self'`). */
export const PAGE_SCRIPT_PATH = '/app.js';

/** The page's Content-Security-Policy: its own script only, no inline code, no other origin. */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

const INDEX_HTML = fileURLToPath(new URL('../public/index.html', import.meta.url));
/**
 * The page's transport: `socket.io` (socketio-chat, nestjs-chat) or `websocket` (ws-chat, plain WebSockets at
 * `/ws`). The page is the same (public-src/chat-page.ts); only its entry, which creates the client, differs.
 */
export type PageFlavour = 'socket.io' | 'websocket';

const ENTRIES: Readonly<Record<PageFlavour, string>> = {
  'socket.io': fileURLToPath(new URL('../public-src/app.ts', import.meta.url)),
  websocket: fileURLToPath(new URL('../public-src/ws-app.ts', import.meta.url)),
};

const loading = new Map<PageFlavour, Promise<DemoPage>>();

/**
 * Builds the page once per process, in memory, with esbuild's JS API: no build step before `npm run demo`, nothing
 * written to disk, and a broken page script fails the server start instead of a browser later. Workspace packages
 * are bundled from their TypeScript sources (the `@sockauth/source` condition), like the server runs them.
 *
 * @example
 * ```ts
 * const { html, script } = await loadDemoPage(); // serve html at GET /, script at GET /app.js
 * const wsPage = await loadDemoPage('websocket'); // the same page on plain WebSockets
 * ```
 */
export function loadDemoPage(flavour: PageFlavour = 'socket.io'): Promise<DemoPage> {
  let page = loading.get(flavour);
  if (page === undefined) {
    page = buildPage(ENTRIES[flavour]).catch((error: unknown) => {
      loading.delete(flavour); // let a later call try again
      throw error;
    });
    loading.set(flavour, page);
  }
  return page;
}

async function buildPage(entry: string): Promise<DemoPage> {
  const [html, result] = await Promise.all([
    readFile(INDEX_HTML),
    build({
      entryPoints: [entry],
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
