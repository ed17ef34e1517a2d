/**
 * Part of `npm run build` of @sockauth/core, after the CommonJS build: makes `dist/cjs/jose.js` (what
 * src/jose.ts compiled to: `require('jose')`) load `jose` also where `require()` cannot load an ES module.
 *
 * - `dist/cjs/jose.bundle.js`: the installed `jose`, bundled as CommonJS by esbuild, with its licence.
 * - `dist/cjs/jose.js`: `require('jose')`; only when that throws ERR_REQUIRE_ESM (jest's CommonJS runtime before
 *   Node 24.9), the bundle. Plain Node ≥ 20.19 and bundlers always get the application's own `jose`.
 */
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cjsDir = join(packageDir, 'dist', 'cjs');
const require = createRequire(join(packageDir, 'package.json'));
const joseEntry = require.resolve('jose');
const joseDir = dirname(require.resolve('jose/package.json'));
const { version } = JSON.parse(readFileSync(join(joseDir, 'package.json'), 'utf8'));
const licence = readFileSync(join(joseDir, 'LICENSE.md'), 'utf8').trim();

await build({
  entryPoints: [joseEntry],
  outfile: join(cjsDir, 'jose.bundle.js'),
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  banner: {
    js:
      `/*\n * jose ${version} (https://github.com/panva/jose) as CommonJS, for runtimes whose require() cannot load\n` +
      ` * ES modules (jest before Node 24.9). Loaded by ./jose.js only when require('jose') fails there.\n *\n` +
      `${licence.replace(/^/gm, ' * ').replace(/ +$/gm, '')}\n */`,
  },
});

writeFileSync(
  join(cjsDir, 'jose.js'),
  `"use strict";
// jose ${version} is ESM-only. Node >= 20.19 require()s it; jest's CommonJS runtime (before Node 24.9) cannot and
// throws ERR_REQUIRE_ESM: there, and only there, use the CommonJS copy of the same jose made at build time.
let jose;
try {
    jose = require("jose");
}
catch (error) {
    if (error === null || typeof error !== "object" || error.code !== "ERR_REQUIRE_ESM") throw error;
    jose = require("./jose.bundle.js");
}
module.exports = jose;
`,
);
