/**
 * The lowest and the newest `ws` that `@sockauth/ws`'s peer range accepts, each installed from the npm registry into a
 * throw-away project; the feature test of the seam to `ws` (`packages/ws/test/ws-internals.spec.ts`) and the ws
 * adapter suites then run against that install: jest from the repository, with `ws` mapped to the project's copy.
 *
 * Then the same for `@sockauth/nestjs`'s `SockAuthWsAdapter`: the lowest and the newest `@nestjs/platform-ws` of its
 * peer range, with the `@nestjs/*` packages of the same release (the newest of each not newer than it, in its major),
 * every `@nestjs/*` import mapped to the project's copies, running the feature test of the Nest seam and the ws
 * platform suite. (`@nestjs/platform-ws` creates its servers with the `ws` it depends on, which the project resolves.)
 *
 * Needs the npm registry. SOCKAUTH_PACKAGING_KEEP=1 keeps the projects.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { REPO_ROOT, createProject, installInto, installedVersion, makeWorkDir, publishedVersions, removeWorkDir, runJestAgainst } from './support';

jest.setTimeout(600_000);

const JEST_TIMEOUT_MS = 300_000;

/** What runs against each `ws`: the seam's feature test, then every suite of the adapter. */
const WS_SUITES = [
  'packages/ws/test/ws-internals.spec.ts',
  'packages/ws/test/handshake.spec.ts',
  'packages/ws/test/lifecycle.spec.ts',
  'packages/ws/test/messages.spec.ts',
  'packages/ws/test/readme-quick-start.spec.ts',
  'packages/ws/test/room-index.spec.ts',
  'packages/ws/test/upgrade-token.spec.ts',
  'test/security/ws-adapter.spec.ts',
];

/** What runs against each `@nestjs/platform-ws`. */
const NEST_SUITES = ['packages/nestjs/test/ws-platform-internals.spec.ts', 'packages/nestjs/test/ws-platform.spec.ts'];

/** The `@nestjs/*` packages the Nest suites load, installed at the release of `@nestjs/platform-ws`. */
const NEST_RELEASE = ['@nestjs/common', '@nestjs/core', '@nestjs/websockets', '@nestjs/platform-socket.io', '@nestjs/platform-express', '@nestjs/testing'];
/** Versioned on their own: the newest of the same major. */
const NEST_SATELLITES = ['@nestjs/jwt', '@nestjs/passport'];

function peerRange(packageDir: string, peer: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, packageDir, 'package.json'), 'utf8')) as {
    peerDependencies: Record<string, string>;
  };
  return manifest.peerDependencies[peer]!;
}

/** The lowest and the newest published version of `name` inside `range`. */
function bounds(name: string, range: string): { versions: string[]; lowest: string | null; newest: string | null } {
  const versions = publishedVersions(name);
  return { versions, lowest: semver.minSatisfying(versions, range), newest: semver.maxSatisfying(versions, range) };
}

const WS_RANGE = peerRange('packages/ws', 'ws');
const ws = bounds('ws', WS_RANGE);
const NEST_RANGE = peerRange('packages/nestjs', '@nestjs/platform-ws');
const platformWs = bounds('@nestjs/platform-ws', NEST_RANGE);

test('the peer ranges of ws and @nestjs/platform-ws accept published versions; the nestjs package asks for the same ws', () => {
  expect([ws.lowest, ws.newest, platformWs.lowest, platformWs.newest]).not.toContain(null);
  expect(peerRange('packages/nestjs', 'ws')).toBe(WS_RANGE);
});

describe.each([
  ['lowest', ws.lowest],
  ['newest', ws.newest],
])('the %s ws the peer range accepts (%s)', (_which, version) => {
  let dir = '';
  afterAll(() => removeWorkDir(dir));

  test('the seam feature test and the ws adapter suites pass against it', () => {
    dir = makeWorkDir(`ws-${version}`);
    createProject(dir, 'commonjs');
    installInto(dir, [`ws@${version}`]);
    expect(installedVersion(dir, 'ws')).toBe(version);
    const { passed, skipped } = runJestAgainst(dir, {
      mapped: { '^ws$': path.join(dir, 'node_modules/ws/index.js') },
      suites: WS_SUITES,
      timeout: JEST_TIMEOUT_MS,
      env: { SOCKAUTH_EXPECT_WS_VERSION: version! },
      label: `ws ${version}`,
    });
    expect(skipped).toEqual([]);
    console.log(`ws ${version}: ${passed} tests passed`);
  });
});

describe.each([
  ['lowest', platformWs.lowest],
  ['newest', platformWs.newest],
])('the %s @nestjs/platform-ws the peer range accepts (%s)', (_which, version) => {
  let dir = '';
  afterAll(() => removeWorkDir(dir));

  test('the Nest seam feature test and the ws platform suite pass against it, with the @nestjs/* of its release', () => {
    const major = semver.major(version!);
    const specs = [`@nestjs/platform-ws@${version}`, 'reflect-metadata@^0.2.0', 'rxjs@^7.8.0'];
    for (const name of NEST_RELEASE) {
      const release = semver.maxSatisfying(publishedVersions(name), `>=${major}.0.0 <=${version}`);
      expect([name, release]).not.toEqual([name, null]);
      specs.push(`${name}@${release}`);
    }
    for (const name of NEST_SATELLITES) specs.push(`${name}@^${major}.0.0`);
    dir = makeWorkDir(`nest-platform-ws-${version}`);
    createProject(dir, 'commonjs');
    installInto(dir, specs);
    expect(installedVersion(dir, '@nestjs/platform-ws')).toBe(version);
    const modules = path.join(dir, 'node_modules');
    const { passed, skipped } = runJestAgainst(dir, {
      mapped: {
        '^@nestjs/(.*)$': path.join(modules, '@nestjs/$1'),
        '^rxjs$': path.join(modules, 'rxjs'),
        '^rxjs/(.*)$': path.join(modules, 'rxjs/$1'),
        '^reflect-metadata$': path.join(modules, 'reflect-metadata'),
      },
      suites: NEST_SUITES,
      timeout: JEST_TIMEOUT_MS,
      env: { SOCKAUTH_EXPECT_PLATFORM_WS_VERSION: version! },
      label: `@nestjs/platform-ws ${version}`,
    });
    // What a suite skips for this release is named in the test (e.g. @Ack(), from @nestjs/websockets 11.1.7 on).
    expect(skipped.every((name) => /@nestjs\/websockets >= /.test(name))).toBe(true);
    if (version === platformWs.newest) expect(skipped).toEqual([]);
    const nestWs = fs.existsSync(path.join(modules, '@nestjs/platform-ws/node_modules/ws')) ? '@nestjs/platform-ws/node_modules/ws' : 'ws';
    const versions = ['@nestjs/core', '@nestjs/websockets', nestWs].map((name) => `${name} ${installedVersion(dir, name)}`).join(', ');
    console.log(`@nestjs/platform-ws ${version} (${versions}): ${passed} tests passed${skipped.length > 0 ? `, skipped: ${skipped.join('; ')}` : ''}`);
  });
});
