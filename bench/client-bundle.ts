/**
 * Size of `@sockauth/client` in a browser app: `packages/client/src/index.ts` bundled by esbuild as an app's
 * bundler would (`--bundle --minify --format=esm --platform=browser`, socket.io-client external since the app
 * ships it anyway), raw and gzip; and `@sockauth/client/websocket` (`src/websocket.ts`), the entry of WebSocket-only
 * apps, which fails the run if it imports socket.io-client at all. Beside them, `jose`'s `decodeJwt` alone, what the client's token decoding pulls in
 * from jose when tree-shaken. Seconds-long, no servers.
 *
 *   npx tsx bench/client-bundle.ts
 */
import { gzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './lib/fork.js';

interface Size {
  readonly raw: number;
  readonly gzip: number;
  /** Whether the bundle imports socket.io-client (external, so it stays visible as an import). */
  readonly importsSocketIo: boolean;
}

async function bundle(stdin: string, label: string): Promise<Size> {
  const result = await build({
    stdin: { contents: stdin, resolveDir: resolve(ROOT, 'packages/client'), loader: 'ts', sourcefile: `${label}.ts` },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    // From the sources, as the workspaces resolve each other; the published build is the same code.
    conditions: ['@sockauth/source'],
    external: ['socket.io-client'],
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const code = result.outputFiles[0]!.contents;
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports.map(({ path }) => path));
  return { raw: code.byteLength, gzip: gzipSync(code, { level: 9 }).byteLength, importsSocketIo: imports.includes('socket.io-client') };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KiB`;

const client = await bundle(`export * from './src/index.ts';`, 'client');
// What an app that uses one flavour ships (tree-shaken: the other flavour's transport is left out).
const socketIoOnly = await bundle(`export { createAuthClient, isAuthError } from './src/index.ts';`, 'client-socket-io');
const webSocketOnly = await bundle(`export { createWebSocketAuthClient, isAuthError } from './src/index.ts';`, 'client-websocket');
// The entry a WebSocket-only app imports: no socket.io-client at all, by construction rather than tree-shaking.
const webSocketEntry = await bundle(`export * from './src/websocket.ts';`, 'client-websocket-entry');
if (webSocketEntry.importsSocketIo) throw new Error('@sockauth/client/websocket imports socket.io-client');
const decodeJwt = await bundle(`export { decodeJwt } from 'jose';`, 'jose-decode-jwt');
console.log('\n## @sockauth/client browser bundle (esbuild, minified ESM, socket.io-client external)\n');
console.log('| bundle | raw | gzip |');
console.log('| --- | --- | --- |');
console.log(`| \`@sockauth/client\` (everything its index exports) | ${kib(client.raw)} | ${kib(client.gzip)} |`);
console.log(`| Socket.IO flavour only (\`createAuthClient\`) | ${kib(socketIoOnly.raw)} | ${kib(socketIoOnly.gzip)} |`);
console.log(`| plain-WebSocket flavour only (\`createWebSocketAuthClient\`, no socket.io-client at all) | ${kib(webSocketOnly.raw)} | ${kib(webSocketOnly.gzip)} |`);
console.log(`| \`@sockauth/client/websocket\` (everything its entry exports; imports no socket.io-client) | ${kib(webSocketEntry.raw)} | ${kib(webSocketEntry.gzip)} |`);
console.log(`| \`jose\`'s \`decodeJwt\` alone | ${kib(decodeJwt.raw)} | ${kib(decodeJwt.gzip)} |`);
