/**
 * Packaging test: what users get from the registry, not what the monorepo sees.
 *
 * Every publishable package (packages/* with a package.json, not private, with a src/index.ts) is packed with
 * `npm pack`, and the tarballs are installed into a fresh project outside the repository together with the
 * packages' non-optional peer dependencies, TypeScript and @types/node. That project then imports every
 * package as ESM and as CJS, and type-checks an ESM and a CJS TypeScript consumer under `module: nodenext`.
 *
 * Needs `npm run build` first (it tests dist/, never src/) and the npm registry (peer deps, TypeScript).
 * Set SOCKAUTH_PACKAGING_ONLY=core,socket.io (directory or package names) to test a subset, and
 * SOCKAUTH_PACKAGING_KEEP=1 to keep the temporary project for inspection.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertBuilt,
  createProject,
  discoverPackages,
  installInto,
  makeWorkDir,
  packPackages,
  peerSpecs,
  removeWorkDir,
  run,
  withSockauthDependencies,
  INSTALL_TIMEOUT_MS,
  type PackageInfo,
  type Packed,
} from './support';

// ---------------------------------------------------------------------------------------------------------------
// What each package must export. Keys are package names, then subpaths as in the package.json `exports` map.
// Every subpath in `exports` (except ./package.json) is imported; one without an entry here must simply have at
// least one export. A package without an entry is still packed, installed and imported.
// ---------------------------------------------------------------------------------------------------------------
const EXPECTED_EXPORTS: Record<string, Record<string, readonly string[]>> = {
  '@sockauth/core': {
    '.': [
      'createVerifier',
      'AuthError',
      'AuthExpiredError',
      'AUTH_ERROR_CODES',
      'isAuthError',
      'createAuthContext',
      'describeContext',
      'PermissionSet',
      'compileRoomPolicies',
      'ConnectionAuth',
      'ConnectionRegistry',
      'MemoryRevocationStore',
      'createAuditTrail',
      'AUDIT_SCHEMA_VERSION',
    ],
    './errors': ['AuthError', 'AuthExpiredError', 'AUTH_ERROR_CODES', 'AUTH_ACTIONS', 'isAuthError'],
    './protocol': ['REFRESH_EVENT', 'EXPIRING_EVENT', 'ERROR_EVENT', 'ROOM_LEFT_EVENT', 'roomLeftPayload'],
    './jose': ['jwtVerify', 'SignJWT', 'createRemoteJWKSet', 'errors'],
    './option-keys': ['assertKnownKeys', 'assertPlainObject'],
  },
  '@sockauth/testing': {
    '.': ['createTestIssuer', 'connectAs', 'WsClientSocket', 'sockauthMatchers', 'installMatchers', 'waitForExpiry', 'waitForCut', 'createSockAuthTestingApp'],
  },
  '@sockauth/socket.io': {
    '.': ['sockAuth', 'createSockAuth', 'SockAuth', 'REFRESH_EVENT', 'EXPIRING_EVENT', 'ERROR_EVENT'],
  },
  '@sockauth/ws': {
    '.': ['createWsAuth', 'WsAuth', 'SUBPROTOCOL', 'WS_AUTH_OPTION_KEYS', 'closeCodeFor', 'WS_CLOSE_CODES', 'UnsupportedWsInternalsError'],
  },
  // Names from DESIGN.md; only checked once packages/nestjs has a src/index.ts.
  '@sockauth/nestjs': {
    '.': ['SockAuthModule', 'WsAuthGuard', 'RequirePermissions', 'Public', 'AuthUser'],
    './ws': ['SockAuthWsAdapter'],
  },
  '@sockauth/client': {
    './websocket': ['createWebSocketAuthClient', 'WebSocketAuthClient', 'AuthClientBase', 'EmitError', 'REFRESH_EVENT', 'AuthError', 'isAuthError'],
    '.': [
      'createAuthClient',
      'AuthClient',
      'createWebSocketAuthClient',
      'WebSocketAuthClient',
      'AuthClientBase',
      'EmitError',
      'idempotencyKey',
      'REFRESH_EVENT',
      'EXPIRING_EVENT',
      'ERROR_EVENT',
      'AuthError',
      'isAuthError',
    ],
  },
  '@sockauth/redis': {
    '.': ['RedisRevocationStore'],
  },
  '@sockauth/metrics': {
    '.': ['prometheusHooks', 'openTelemetryHooks', 'combineHooks', 'METRIC_NAMES', 'OTEL_METRIC_NAMES'],
  },
};

/**
 * Subpaths that load only inside their test framework (they register the matchers on its `expect`):
 * test/packaging/user-test-setups.spec.ts uses them there, in real jest and Vitest projects.
 */
const FRAMEWORK_ONLY_SUBPATHS: Record<string, readonly string[]> = {
  '@sockauth/testing': ['./jest-globals', './vitest'],
};

/** Modules a real application loads before a package (e.g. Nest apps import reflect-metadata first). */
const PRELOAD: Record<string, readonly string[]> = {
  '@sockauth/nestjs': ['reflect-metadata'],
};

/** Optional peers a subpath needs (`@sockauth/nestjs/ws` is the @nestjs/platform-ws adapter): installed too. */
const OPTIONAL_PEERS_OF_SUBPATHS = ['@nestjs/platform-ws@^12.0.0'];

/** Files every tarball must contain (paths relative to the package root). */
const REQUIRED_FILES = ['package.json', 'dist/esm/index.js', 'dist/esm/index.d.ts', 'dist/cjs/index.js', 'dist/cjs/package.json'];
/** Files that must never be published. */
const FORBIDDEN_FILES: ReadonlyArray<[RegExp, string]> = [
  [/^src\//, 'TypeScript sources (src/)'],
  [/(^|\/)(test|tests|__tests__)\//, 'a test directory'],
  [/\.(spec|test)\.[cm]?[jt]sx?(\.map)?$/, 'a test file'],
  [/\.d\.(spec|test)\.[cm]?ts(\.map)?$/, 'a test declaration'],
  [/\.tsbuildinfo$/, 'a .tsbuildinfo'],
  [/(^|\/)tsconfig(\.[\w-]+)?\.json$/, 'a tsconfig'],
  [/(^|\/)node_modules\//, 'node_modules'],
];

const TYPESCRIPT_VERSION = '7.0.2';
const TYPES_NODE_VERSION = '20';

jest.setTimeout(300_000);

/** `@sockauth/core` + './errors' → `@sockauth/core/errors`. */
function specifier(pkg: PackageInfo, subpath: string): string {
  return subpath === '.' ? pkg.name : `${pkg.name}/${subpath.replace(/^\.\//, '')}`;
}

/** specifier → expected export names, for every subpath of every package under test. */
function expectations(packages: readonly PackageInfo[]): Record<string, readonly string[]> {
  const out: Record<string, readonly string[]> = {};
  for (const pkg of packages) {
    for (const subpath of pkg.subpaths) {
      if (FRAMEWORK_ONLY_SUBPATHS[pkg.name]?.includes(subpath)) continue;
      out[specifier(pkg, subpath)] = EXPECTED_EXPORTS[pkg.name]?.[subpath] ?? [];
    }
  }
  return out;
}

// --- the generated consumer files --------------------------------------------------------------------------------

/** Shared checking code for esm.mjs and cjs.cjs: `load(specifier)` returns the module namespace/exports. */
function checkerSource(expected: Record<string, readonly string[]>, hasCore: boolean): string {
  const preload = [...new Set(packages.flatMap((pkg) => PRELOAD[pkg.name] ?? []))];
  return `
const expected = ${JSON.stringify(expected, null, 2)};
const preload = ${JSON.stringify(preload)};
const problems = [];
for (const spec of preload) await load(spec);
const exportNames = {};
for (const [spec, names] of Object.entries(expected)) {
  let mod;
  try {
    mod = await load(spec);
  } catch (error) {
    problems.push(spec + ': cannot be loaded: ' + (error && error.stack || error));
    continue;
  }
  const keys = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule').sort();
  exportNames[spec] = keys;
  if (keys.length === 0) problems.push(spec + ': has no exports');
  for (const name of names) {
    if (mod[name] === undefined) problems.push(spec + ': missing export ' + JSON.stringify(name));
  }
}
${hasCore ? coreSmokeSource() : ''}
if (problems.length > 0) {
  console.error(problems.join('\\n'));
  process.exit(1);
}
console.log(JSON.stringify(exportNames));
`;
}

/** Exercises @sockauth/core for real: jose (ESM-only) must work from both builds, and errors must be shared. */
function coreSmokeSource(): string {
  return `
if (problems.length === 0) {
  const core = await load('@sockauth/core');
  const errors = await load('@sockauth/core/errors');
  if (core.AuthError !== errors.AuthError) problems.push('@sockauth/core/errors: AuthError is not the same class as @sockauth/core AuthError');
  if (!(new core.AuthExpiredError() instanceof core.AuthError)) problems.push('AuthExpiredError is not an AuthError');
  if (new core.AuthExpiredError().code !== 'AUTH_EXPIRED') problems.push('AuthExpiredError.code is not AUTH_EXPIRED');
  const jose = await load('jose');
  const secret = new TextEncoder().encode('packaging-test-secret-0123456789abcdef');
  const now = Math.floor(Date.now() / 1000);
  const token = await new jose.SignJWT({ scope: 'chat:read' }).setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1').setIssuedAt(now).setExpirationTime(now + 60).sign(secret);
  const verifier = core.createVerifier({ algorithms: ['HS256'], secret });
  const verified = await verifier.verify(token);
  if (verified.payload.sub !== 'user-1') problems.push('createVerifier().verify returned sub ' + verified.payload.sub);
  const expired = await new jose.SignJWT({}).setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1').setIssuedAt(now - 120).setExpirationTime(now - 60).sign(secret);
  const rejection = await verifier.verify(expired).then(() => undefined, (error) => error);
  if (!core.isAuthError(rejection) || rejection.code !== 'AUTH_EXPIRED') {
    problems.push('an expired token was not rejected with AUTH_EXPIRED: ' + rejection);
  }
}
`;
}

function esmSource(expected: Record<string, readonly string[]>, hasCore: boolean): string {
  return `// Generated by test/packaging/packaging.spec.ts\nconst load = (spec) => import(spec);\n${checkerSource(expected, hasCore)}`;
}

function cjsSource(expected: Record<string, readonly string[]>, hasCore: boolean): string {
  return (
    `// Generated by test/packaging/packaging.spec.ts\n'use strict';\nconst load = async (spec) => require(spec);\n` +
    `(async () => {\n${checkerSource(expected, hasCore)}\n})().catch((error) => { console.error(error); process.exit(1); });\n`
  );
}

/**
 * Type-level checks that fail if the published types were missing or `any`: an exhaustive switch over
 * AuthErrorCode ending in `never`, @ts-expect-error on things the real types forbid, and a property that
 * does not exist on each module namespace.
 */
function coreTypeChecks(): string {
  return `
function actionFor(error: AuthError): string {
  const code: AuthErrorCode = error.code;
  switch (code) {
    case 'AUTH_MISSING':
    case 'AUTH_INVALID':
    case 'AUTH_REVOKED':
    case 'AUTH_IDENTITY_MISMATCH':
      return 'login';
    case 'AUTH_EXPIRED':
    case 'AUTH_STALE':
      return 'refresh';
    case 'AUTH_NOT_YET_VALID':
    case 'AUTH_UNAVAILABLE':
      return 'retry';
    case 'AUTH_FORBIDDEN':
      return 'none';
    default: {
      const unreachable: never = code;
      return unreachable;
    }
  }
}

// @ts-expect-error not an AuthErrorCode
const notACode: AuthErrorCode = 'AUTH_NOPE';
void notACode;

// @ts-expect-error algorithms is required
createVerifier({ secret: 'x'.repeat(32) });

async function use(token: string): Promise<number> {
  const verifier = createVerifier({ algorithms: ['HS256'], secret: new TextEncoder().encode('x'.repeat(32)) });
  const { payload } = await verifier.verify(token);
  const exp: number = payload.exp;
  return exp;
}

function subjectOf(context: AuthContext): string {
  // @ts-expect-error the context is immutable
  context.subject = 'someone-else';
  return context.subject;
}

const expired = new AuthExpiredError();
const expiredCode: 'AUTH_EXPIRED' = expired.code;
const action: AuthAction = expired.action;
if (isAuthError(expired as unknown)) actionFor(expired);
void use;
void subjectOf;
void expiredCode;
void action;
`;
}

function namespaceChecks(expected: Record<string, readonly string[]>, ref: (index: number) => string): string {
  return Object.entries(expected)
    .map(([spec, names], index) => {
      const ns = ref(index);
      const uses = names.map((name) => `void ${ns}.${name};`).join('\n');
      return `// ${spec}\n${uses}\n// @ts-expect-error not exported: fails if the types are missing or any\nvoid ${ns}.__notExportedBySockauth;`;
    })
    .join('\n\n');
}

function esmConsumerSource(expected: Record<string, readonly string[]>, hasCore: boolean): string {
  const specs = Object.keys(expected);
  const imports = specs.map((spec, index) => `import * as ns${index} from '${spec}';`).join('\n');
  const coreImports = hasCore
    ? `import { createVerifier, isAuthError, type AuthAction, type AuthContext, type AuthError, type AuthErrorCode } from '@sockauth/core';\n` +
      `import { AuthExpiredError } from '@sockauth/core/errors';\n`
    : '';
  return `// Generated by test/packaging/packaging.spec.ts (ESM consumer)\n${coreImports}${imports}\n\n${
    hasCore ? coreTypeChecks() : ''
  }\n${namespaceChecks(expected, (index) => `ns${index}`)}\n`;
}

function cjsConsumerSource(expected: Record<string, readonly string[]>, hasCore: boolean): string {
  const specs = Object.keys(expected);
  const imports = specs.map((spec, index) => `import ns${index} = require('${spec}');`).join('\n');
  const coreImports = hasCore
    ? `import core = require('@sockauth/core');\nimport errors = require('@sockauth/core/errors');\n` +
      `import createVerifier = core.createVerifier;\nimport isAuthError = core.isAuthError;\nimport AuthExpiredError = errors.AuthExpiredError;\n` +
      `type AuthAction = core.AuthAction;\ntype AuthContext = core.AuthContext;\ntype AuthError = core.AuthError;\ntype AuthErrorCode = core.AuthErrorCode;\n`
    : '';
  return `// Generated by test/packaging/packaging.spec.ts (CJS consumer)\n${coreImports}${imports}\n\n${
    hasCore ? coreTypeChecks() : ''
  }\n${namespaceChecks(expected, (index) => `ns${index}`)}\n`;
}

const CONSUMER_TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    lib: ['es2023'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    types: ['node'],
    strict: true,
    noEmit: true,
    // Check the published .d.ts files too, not only the consumer.
    skipLibCheck: false,
    verbatimModuleSyntax: true,
    noUnusedLocals: false,
  },
  files: ['consumer.ts', 'consumer.cts'],
};

// --- the test ----------------------------------------------------------------------------------------------------

const packages = discoverPackages(
  (process.env.SOCKAUTH_PACKAGING_ONLY ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
const expected = expectations(packages);
const hasCore = packages.some((pkg) => pkg.name === '@sockauth/core');

describe('packaging: the packed tarballs work for ESM, CJS and TypeScript consumers', () => {
  let workDir = '';
  let projectDir = '';
  const packed = new Map<string, Packed>();

  beforeAll(() => {
    expect(packages.length).toBeGreaterThan(0);
    assertBuilt(packages);

    workDir = makeWorkDir('packaging');
    projectDir = path.join(workDir, 'consumer');
    for (const [name, result] of packPackages(packages, path.join(workDir, 'tarballs'))) packed.set(name, result);

    // consumer.ts is then an ES module and consumer.cts a CommonJS one.
    createProject(projectDir, 'module');
    installInto(projectDir, [
      ...packages.map((pkg) => packed.get(pkg.name)!.tarball),
      ...peerSpecs(packages),
      ...OPTIONAL_PEERS_OF_SUBPATHS,
      `typescript@${TYPESCRIPT_VERSION}`,
      `@types/node@${TYPES_NODE_VERSION}`,
    ]);

    fs.writeFileSync(path.join(projectDir, 'esm.mjs'), esmSource(expected, hasCore));
    fs.writeFileSync(path.join(projectDir, 'cjs.cjs'), cjsSource(expected, hasCore));
    fs.writeFileSync(path.join(projectDir, 'consumer.ts'), esmConsumerSource(expected, hasCore));
    fs.writeFileSync(path.join(projectDir, 'consumer.cts'), cjsConsumerSource(expected, hasCore));
    fs.writeFileSync(path.join(projectDir, 'tsconfig.json'), JSON.stringify(CONSUMER_TSCONFIG, null, 2));
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => removeWorkDir(workDir));

  describe.each(packages.map((pkg) => [pkg.name, pkg] as const))('tarball of %s', (_name, pkg) => {
    test('contains dist and the docs, and no sources, tests or build info', () => {
      const files = packed.get(pkg.name)!.files.map((file) => file.path.replace(/^package\//, ''));
      const required = [...REQUIRED_FILES];
      for (const extra of ['README.md', 'LICENSE']) {
        if (fs.existsSync(path.join(pkg.dir, extra))) required.push(extra);
      }
      const missing = required.filter((file) => !files.includes(file));
      const forbidden = files.flatMap((file) =>
        FORBIDDEN_FILES.filter(([pattern]) => pattern.test(file)).map(([, what]) => `${file} (${what})`),
      );
      expect({ missing, forbidden }).toEqual({ missing: [], forbidden: [] });
    });

    test('has the exports the package.json declares', () => {
      const files = packed.get(pkg.name)!.files.map((file) => file.path.replace(/^package\//, ''));
      const manifest = JSON.parse(fs.readFileSync(path.join(pkg.dir, 'package.json'), 'utf8')) as {
        exports?: Record<string, unknown>;
      };
      const targets: string[] = [];
      const collect = (value: unknown, condition: string): void => {
        if (condition === '@sockauth/source') return; // monorepo-only condition pointing at src/
        if (typeof value === 'string') targets.push(value.replace(/^\.\//, ''));
        else if (value && typeof value === 'object') for (const [key, v] of Object.entries(value)) collect(v, key);
      };
      collect(manifest.exports ?? {}, '');
      expect(targets.filter((target) => !files.includes(target))).toEqual([]);
    });
  });

  test('ESM: every package and subpath can be imported and has its exports', () => {
    run('node', ['esm.mjs'], projectDir);
  });

  test('CJS: every package and subpath can be required and has the same exports as ESM', () => {
    const esmNames = JSON.parse(run('node', ['esm.mjs'], projectDir)) as Record<string, string[]>;
    const cjsNames = JSON.parse(run('node', ['cjs.cjs'], projectDir)) as Record<string, string[]>;
    expect(cjsNames).toEqual(esmNames);
  });

  test('TypeScript: ESM (consumer.ts) and CJS (consumer.cts) consumers type-check under module nodenext', () => {
    run('npx', ['--no-install', 'tsc', '--version'], projectDir);
    run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'], projectDir, 120_000);
  });
});

// --- a WebSocket-only app --------------------------------------------------------------------------------------

/**
 * What a plain-WebSocket app runs, from the tarballs: a `@sockauth/ws` server on a free loopback port and
 * `@sockauth/client/websocket` connecting to it with a token, asking `whoami`, then a client with a bad token told
 * `unauthenticated` with `AUTH_INVALID`. Prints what it saw as JSON.
 */
const WEBSOCKET_APP = `// Generated by test/packaging/packaging.spec.ts (a WebSocket-only app)
import http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { createWsAuth } from '@sockauth/ws';
import { SignJWT } from '@sockauth/core/jose';
import { createWebSocketAuthClient } from '@sockauth/client/websocket';

const secret = new TextEncoder().encode('packaging-test-secret-0123456789abcdef');
const mint = () => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: 'chat:read' }).setProtectedHeader({ alg: 'HS256' }).setSubject('alice')
    .setIssuedAt(now).setExpirationTime(now + 60).sign(secret);
};
const wsAuth = createWsAuth({ verifier: { algorithms: ['HS256'], secret }, events: { whoami: null } });
const server = http.createServer();
const wss = new WebSocketServer({ server, path: '/ws', ...wsAuth.serverOptions });
wsAuth.attach(wss);
wsAuth.on('whoami', (_data, { context }) => ({ subject: context.subject }));
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = 'ws://127.0.0.1:' + server.address().port + '/ws';

const client = createWebSocketAuthClient({ url, WebSocket, getToken: mint, refresh: mint });
const whoami = await client.emitWithAck('whoami');
client.close();

const refused = createWebSocketAuthClient({ url, WebSocket, getToken: () => 'not-a-jwt', refresh: async () => 'not-a-jwt' });
const error = await new Promise((resolve) => refused.on('unauthenticated', resolve));
refused.close();

wsAuth.close();
for (const ws of wss.clients) ws.terminate();
await new Promise((resolve) => wss.close(resolve));
await new Promise((resolve) => server.close(resolve));
console.log(JSON.stringify({ whoami, refused: { code: error.code, action: error.action } }));
`;

/** The same entry from CommonJS and TypeScript (the published types must not reference socket.io-client). */
const WEBSOCKET_CJS = `const client = require('@sockauth/client/websocket');
console.log(JSON.stringify(Object.keys(client).sort()));
`;
const WEBSOCKET_CONSUMER = `import { WebSocket } from 'ws';
import { createWebSocketAuthClient, type WebSocketAuthClientOptions } from '@sockauth/client/websocket';

const options: WebSocketAuthClientOptions = { url: 'ws://127.0.0.1:1/ws', WebSocket, refresh: async () => 'token' };
const client = createWebSocketAuthClient<{ 'chat:message': (text: string) => void }>(options);
client.on('unauthenticated', (error) => error.code);
// @ts-expect-error not an option of the WebSocket flavour: fails if the types are missing or any
createWebSocketAuthClient({ ...options, io: {} });
`;

const onlyPackages = (process.env.SOCKAUTH_PACKAGING_ONLY ?? '').trim();
const describeWebSocketOnly = onlyPackages === '' || /(^|,)\s*(client|@sockauth\/client)\s*(,|$)/.test(onlyPackages) ? describe : describe.skip;

describeWebSocketOnly('packaging: a WebSocket-only app needs no socket.io-client', () => {
  let workDir = '';
  let projectDir = '';

  beforeAll(() => {
    const wanted = withSockauthDependencies(['@sockauth/client', '@sockauth/ws']);
    assertBuilt(wanted);
    workDir = makeWorkDir('websocket-only');
    projectDir = path.join(workDir, 'app');
    const tarballs = [...packPackages(wanted, path.join(workDir, 'tarballs')).values()].map((result) => result.tarball);
    createProject(projectDir, 'module');
    // The non-optional peers only (ws and its types, for @sockauth/ws): npm installs no optional peer by itself.
    installInto(projectDir, [...tarballs, ...peerSpecs(wanted), `typescript@${TYPESCRIPT_VERSION}`, `@types/node@${TYPES_NODE_VERSION}`]);
    fs.writeFileSync(path.join(projectDir, 'app.mjs'), WEBSOCKET_APP);
    fs.writeFileSync(path.join(projectDir, 'names.cjs'), WEBSOCKET_CJS);
    fs.writeFileSync(path.join(projectDir, 'consumer.ts'), WEBSOCKET_CONSUMER);
    fs.writeFileSync(path.join(projectDir, 'tsconfig.json'), JSON.stringify({ ...CONSUMER_TSCONFIG, files: ['consumer.ts'] }, null, 2));
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(() => removeWorkDir(workDir));

  test('socket.io-client is not installed (an optional peer of @sockauth/client)', () => {
    expect(fs.existsSync(path.join(projectDir, 'node_modules', 'socket.io-client'))).toBe(false);
    expect(fs.existsSync(path.join(projectDir, 'node_modules', '@sockauth', 'client', 'package.json'))).toBe(true);
  });

  test('ESM: @sockauth/client/websocket connects to a real @sockauth/ws server, and a bad token is told AUTH_INVALID', () => {
    expect(JSON.parse(run('node', ['app.mjs'], projectDir))).toEqual({
      whoami: { subject: 'alice' },
      refused: { code: 'AUTH_INVALID', action: 'login' },
    });
  });

  test('CJS: @sockauth/client/websocket can be required', () => {
    expect(JSON.parse(run('node', ['names.cjs'], projectDir))).toEqual(expect.arrayContaining(['createWebSocketAuthClient', 'isAuthError']));
  });

  test('TypeScript: a consumer of @sockauth/client/websocket type-checks, the published declarations included', () => {
    run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json', '--noEmit'], projectDir, 120_000);
  });
});
