/**
 * The lowest and the newest socket.io that `@sockauth/socket.io`'s peer range accepts, each installed from the npm
 * registry into a throw-away project (with the socket.io-client of the same release line and whatever engine.io and
 * ws they resolve to, as a user gets them). The feature test of the seam to Socket.IO's private members and the
 * core Socket.IO adapter suites then run against that install: jest from the repository, with `socket.io` and
 * `socket.io-client` mapped to the project's copies (the sources of the packages as everywhere else in jest).
 *
 * Needs the npm registry. SOCKAUTH_PACKAGING_KEEP=1 keeps the projects.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { REPO_ROOT, createProject, installInto, installedVersion, makeWorkDir, publishedVersions, removeWorkDir, runJestAgainst } from './support';

jest.setTimeout(600_000);

/** What runs against each version: the seam's feature test, then the adapter suites that lean on the internals. */
const SUITES = [
  'packages/socket.io/test/socket-io-internals.spec.ts',
  'packages/socket.io/test/handshake.spec.ts',
  'packages/socket.io/test/namespaces.spec.ts',
  'packages/socket.io/test/recovery.spec.ts',
  'packages/socket.io/test/revocation.spec.ts',
  'test/security/socketio-adapter-holes.spec.ts',
];
const JEST_TIMEOUT_MS = 300_000;

const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'packages/socket.io/package.json'), 'utf8')) as {
  peerDependencies: Record<string, string>;
};
const RANGE = manifest.peerDependencies['socket.io']!;

const serverVersions = publishedVersions('socket.io');
const clientVersions = publishedVersions('socket.io-client');
const lowest = semver.minSatisfying(serverVersions, RANGE);
const newest = semver.maxSatisfying(serverVersions, RANGE);

test('the peer range of socket.io accepts published versions', () => {
  expect(lowest).not.toBeNull();
  expect(newest).not.toBeNull();
});

describe.each([
  ['lowest', lowest],
  ['newest', newest],
])('the %s socket.io the peer range accepts (%s)', (_which, version) => {
  let dir = '';
  afterAll(() => removeWorkDir(dir));

  test('the seam feature test and the Socket.IO adapter suites pass against it', () => {
    // The newest client of the same release line that is not newer than the server.
    const client = semver.maxSatisfying(clientVersions, `~${semver.major(version!)}.${semver.minor(version!)}.0 <=${version}`);
    expect(client).not.toBeNull();
    dir = makeWorkDir(`socket-io-${version}`);
    createProject(dir, 'commonjs');
    installInto(dir, [`socket.io@${version}`, `socket.io-client@${client}`]);
    const installed = (name: string): string => path.join(dir, 'node_modules', name);
    expect(installedVersion(dir, 'socket.io')).toBe(version);

    // test/security/socketio-adapter-holes.spec.ts leaves a long-polling client whose retry requires a file after the
    // environment is torn down, which exits 1 with every test passed (on the repository's own socket.io as well):
    // runJestAgainst judges by jest's JSON report.
    const { passed } = runJestAgainst(dir, {
      mapped: {
        '^socket\\.io$': path.join(installed('socket.io'), 'dist/index.js'),
        '^socket\\.io/package\\.json$': path.join(installed('socket.io'), 'package.json'),
        '^socket\\.io-client$': path.join(installed('socket.io-client'), 'build/cjs/index.js'),
      },
      suites: SUITES,
      timeout: JEST_TIMEOUT_MS,
      env: { SOCKAUTH_EXPECT_SOCKET_IO_VERSION: version! },
      label: `socket.io ${version}`,
    });
    console.log(`socket.io ${version} (engine.io ${installedVersion(dir, 'engine.io')}, socket.io-client ${client}): ${passed} tests passed`);
  });
});
