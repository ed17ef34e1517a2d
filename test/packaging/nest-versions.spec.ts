/**
 * NestJS 11 and 12, and the install lines the package READMEs document, from the packed tarballs.
 *
 * The packages are packed with `npm pack`; each README install line is then run alone in a fresh project outside
 * the repository, with `@sockauth/*` names replaced by their tarballs (the registry layout a user sees, where the
 * tarballs of the `@sockauth/*` dependencies sit beside the package). Two of those projects are real Nest apps:
 * a CommonJS app on NestJS 11 and an ES-module app on NestJS 12, each with a gateway (`SockAuthModule`,
 * `@RequirePermissions`, `@AuthUser`) and a `node --test` test written with `@sockauth/testing` (`createTestIssuer`,
 * `connectAs`, `createSockAuthTestingApp`), compiled with tsc and run; this spec asserts that it passed.
 *
 * Needs `npm run build` first (it packs dist/) and the npm registry. SOCKAUTH_PACKAGING_KEEP=1 keeps the projects.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertBuilt,
  createProject,
  installInto,
  makeWorkDir,
  packPackages,
  removeWorkDir,
  run,
  withSockauthDependencies,
  REPO_ROOT,
  type Packed,
} from './support';

/** Compiling and running the Nest app's tests: slower than support.ts's default on a loaded machine. */
const APP_TIMEOUT_MS = 120_000;

jest.setTimeout(600_000);

// ---------------------------------------------------------------------------------------------------------------
// The install lines, as the package READMEs document them (the README test below checks they are there).
// ---------------------------------------------------------------------------------------------------------------
const INSTALL_LINES = {
  socketIoApp: 'npm install @sockauth/socket.io @sockauth/core socket.io',
  nestApp11: 'npm install @sockauth/nestjs @sockauth/core @nestjs/websockets@11 @nestjs/platform-socket.io@11 socket.io',
  nestApp12: 'npm install @sockauth/nestjs @sockauth/core @nestjs/websockets @nestjs/platform-socket.io socket.io',
  browserClient: 'npm install @sockauth/client socket.io-client',
  tests: 'npm install -D @sockauth/testing socket.io-client',
  nestTests11: 'npm install -D @sockauth/testing socket.io-client @nestjs/testing@11',
  nestTests12: 'npm install -D @sockauth/testing socket.io-client @nestjs/testing',
} as const;

/** Where each line is documented. */
const DOCUMENTED_IN: Record<keyof typeof INSTALL_LINES, string> = {
  socketIoApp: 'packages/socket.io/README.md',
  nestApp11: 'packages/nestjs/README.md',
  nestApp12: 'packages/nestjs/README.md',
  browserClient: 'packages/client/README.md',
  tests: 'packages/testing/README.md',
  nestTests11: 'packages/testing/README.md',
  nestTests12: 'packages/testing/README.md',
};

/** What an existing app already has before it adds sockauth (a Nest app: Nest itself, an HTTP platform). */
const BASELINE = {
  node: ['typescript@7.0.2', '@types/node@20'],
  nest11: ['@nestjs/common@11', '@nestjs/core@11', '@nestjs/platform-express@11', '@nestjs/jwt@11', 'reflect-metadata', 'rxjs', 'typescript@7.0.2', '@types/node@20'],
  nest12: ['@nestjs/common@12', '@nestjs/core@12', '@nestjs/platform-express@12', '@nestjs/jwt@12', 'reflect-metadata', 'rxjs', 'typescript@7.0.2', '@types/node@20'],
};

/** The `@sockauth/*` packages an install line names. */
function sockauthNames(line: string): string[] {
  return line.split(' ').filter((word) => word.startsWith('@sockauth/'));
}

/**
 * Runs an install line in the project at `dir`: its words after `npm install`, with the `@sockauth/*` names
 * replaced by their tarballs and the tarballs of their `@sockauth/*` dependencies beside them.
 */
function installLine(dir: string, line: string, tarballs: ReadonlyMap<string, Packed>): void {
  const words = line.split(' ').slice(2).filter((word) => !word.startsWith('@sockauth/'));
  const ours = withSockauthDependencies(sockauthNames(line)).map((pkg) => {
    const packed = tarballs.get(pkg.name);
    if (packed === undefined) throw new Error(`no tarball for ${pkg.name}`);
    return packed.tarball;
  });
  installInto(dir, [...words, ...ours]);
}

/** A fresh project at `dir` with what the app already had (`baseline`) installed. */
function project(dir: string, type: 'module' | 'commonjs', baseline: readonly string[]): string {
  createProject(dir, type);
  if (baseline.length > 0) installInto(dir, baseline);
  return dir;
}

function installedVersion(dir: string, name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

// ---------------------------------------------------------------------------------------------------------------
// The Nest app, the same TypeScript for both majors: `type` in package.json makes it CommonJS or an ES module.
// ---------------------------------------------------------------------------------------------------------------
const NEST_APP: Record<string, string> = {
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        types: ['node'],
        outDir: 'dist',
        rootDir: '.',
      },
      include: ['src/**/*.ts', 'test/**/*.ts'],
    },
    null,
    2,
  ),
  'src/chat.gateway.ts': `import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { AuthContext, AuthUser, RequirePermissions } from '@sockauth/nestjs';
import type { JWTPayload } from '@sockauth/core';

export interface AppClaims extends JWTPayload {
  readonly tenant?: string;
}

@WebSocketGateway()
export class ChatGateway {
  @SubscribeMessage('whoami')
  whoami(@AuthContext() ctx: AuthContext<AppClaims>) {
    return { subject: ctx.subject, tenant: ctx.claims.tenant ?? null, version: ctx.version };
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@AuthUser('subject') from: string, @MessageBody() body: { text: string }) {
    return { ok: true, from, text: body.text };
  }
}
`,
  'src/app.module.ts': `import { Module } from '@nestjs/common';
import { SockAuthModule } from '@sockauth/nestjs';
import { ChatGateway } from './chat.gateway.js';

@Module({
  imports: [
    SockAuthModule.forRootAsync({
      useFactory: () => ({
        verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'sockauth-test', audience: 'sockauth-test' },
      }),
    }),
  ],
  providers: [ChatGateway],
})
export class AppModule {}
`,
  'src/jwt-app.module.ts': `import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { SockAuthModule } from '@sockauth/nestjs';
import { ChatGateway } from './chat.gateway.js';

/** The same gateway, verified by the application's own JwtModule (the optional @nestjs/jwt peer). */
@Module({
  imports: [
    JwtModule.registerAsync({
      useFactory: () => ({
        secret: process.env.JWT_SECRET!,
        verifyOptions: { algorithms: ['HS256'], issuer: 'sockauth-test', audience: 'sockauth-test' },
      }),
    }),
    SockAuthModule.forRoot({ useJwtService: true }),
  ],
  providers: [ChatGateway],
})
export class JwtAppModule {}
`,
  'test/chat.test.ts': `import 'reflect-metadata';
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { NestFactory } from '@nestjs/core';
import { closeAll, connectAs, createSockAuthTestingApp, createTestIssuer } from '@sockauth/testing';
import { AppModule } from '../src/app.module.js';
import { ChatGateway } from '../src/chat.gateway.js';
import { JwtAppModule } from '../src/jwt-app.module.js';

// node:test has no global afterEach for the kit to find: close its sockets and apps here.
afterEach(closeAll);

/** Starts \`module\` as an application and talks to its gateway with real clients and real tokens. */
async function chatOverTheWire(module: typeof AppModule | typeof JwtAppModule): Promise<void> {
  const issuer = await createTestIssuer();
  process.env.JWT_SECRET = issuer.secret;
  const app = await NestFactory.create(module, { logger: false });
  try {
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const alice = await connectAs(url, { sub: 'alice', tenant: 'acme', permissions: ['chat:write'] }, { issuer });
    assert.deepEqual(await alice.emitWithAck('whoami'), { subject: 'alice', tenant: 'acme', version: 1 });
    assert.deepEqual(await alice.emitWithAck('chat:send', { text: 'hi' }), { ok: true, from: 'alice', text: 'hi' });
    const bob = await connectAs(url, { sub: 'bob' }, { issuer });
    const denied = (await bob.emitWithAck('chat:send', { text: 'hi' })) as { error?: { code?: string } };
    assert.equal(denied.error?.code, 'AUTH_FORBIDDEN');
    const refused = await connectAs(url, await issuer.mintExpired({ sub: 'carol' })).then(() => undefined, (error: { code?: string }) => error);
    assert.equal(refused?.code, 'AUTH_EXPIRED');
  } finally {
    await closeAll();
    await app.close();
  }
}

test('SockAuthModule.forRootAsync: handshake, @RequirePermissions and @AuthUser', () => chatOverTheWire(AppModule));

test('useJwtService with the JwtModule of the app: the same over the wire', () => chatOverTheWire(JwtAppModule));

test('the testing kit: createSockAuthTestingApp, then an in-band re-auth that grants chat:write', async () => {
  const { url, issuer } = await createSockAuthTestingApp({ providers: [ChatGateway] });
  const socket = await connectAs(url, { sub: 'alice', tenant: 'acme' }, { issuer });
  const denied = (await socket.emitWithAck('chat:send', { text: 'hi' })) as { error?: { code?: string } };
  assert.equal(denied.error?.code, 'AUTH_FORBIDDEN');
  const token = await issuer.mint({ sub: 'alice', tenant: 'acme', permissions: ['chat:write'] });
  assert.equal(((await socket.emitWithAck('auth:refresh', { token })) as { ok: boolean }).ok, true);
  assert.deepEqual(await socket.emitWithAck('whoami'), { subject: 'alice', tenant: 'acme', version: 2 });
  assert.deepEqual(await socket.emitWithAck('chat:send', { text: 'hi' }), { ok: true, from: 'alice', text: 'hi' });
});
`,
};

/** Writes the Nest app into `dir`, compiles it with the project's own tsc and runs its tests: node's TAP summary. */
function buildAndTestNestApp(dir: string): { pass: number; fail: number; output: string } {
  for (const [file, content] of Object.entries(NEST_APP)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  run('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], dir, APP_TIMEOUT_MS);
  let output: string;
  try {
    output = run('node', ['--test', '--test-reporter=tap', 'dist/test/'], dir, APP_TIMEOUT_MS);
  } catch (error) {
    output = (error as Error).message;
  }
  const count = (name: string): number => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(output)?.[1] ?? NaN);
  return { pass: count('pass'), fail: count('fail'), output };
}

describe('NestJS 11 and 12, and the README install lines, from the tarballs', () => {
  let workDir = '';
  let tarballs = new Map<string, Packed>();

  beforeAll(() => {
    const packages = withSockauthDependencies(Object.values(INSTALL_LINES).flatMap(sockauthNames));
    assertBuilt(packages);
    workDir = makeWorkDir('nest-versions');
    tarballs = packPackages(packages, path.join(workDir, 'tarballs'));
  });

  afterAll(() => removeWorkDir(workDir));

  test('every install line is in the README of its package', () => {
    const missing = Object.entries(INSTALL_LINES).filter(
      ([use, line]) => !fs.readFileSync(path.join(REPO_ROOT, DOCUMENTED_IN[use as keyof typeof INSTALL_LINES]), 'utf8').includes(line),
    );
    expect(missing).toEqual([]);
  });

  test('the Socket.IO app line installs alone and the adapter runs with the core beside it', () => {
    const dir = project(path.join(workDir, 'socketio-app'), 'module', []);
    installLine(dir, INSTALL_LINES.socketIoApp, tarballs);
    const script = `import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { sockAuth } from '@sockauth/socket.io';
const io = new Server(createServer());
const auth = sockAuth(io, { verifier: { algorithms: ['HS256'], secret: 'packaging-test-secret-0123456789abcdef' } });
console.log(typeof auth.contextOf);
auth.close();
io.close();`;
    fs.writeFileSync(path.join(dir, 'app.mjs'), script);
    expect(run('node', ['app.mjs'], dir).trim()).toBe('function');
  });

  test('the browser client line installs alone', () => {
    const dir = project(path.join(workDir, 'browser-client'), 'module', []);
    installLine(dir, INSTALL_LINES.browserClient, tarballs);
    fs.writeFileSync(path.join(dir, 'client.mjs'), `import { createAuthClient } from '@sockauth/client';\nconsole.log(typeof createAuthClient);`);
    expect(run('node', ['client.mjs'], dir).trim()).toBe('function');
  });

  test('the tests line installs alone: createTestIssuer mints a token', () => {
    const dir = project(path.join(workDir, 'tests'), 'module', []);
    installLine(dir, INSTALL_LINES.tests, tarballs);
    fs.writeFileSync(
      path.join(dir, 'mint.mjs'),
      `import { createTestIssuer } from '@sockauth/testing';\nconst issuer = await createTestIssuer();\nconsole.log((await issuer.mint({ sub: 'a' })).split('.').length);`,
    );
    expect(run('node', ['mint.mjs'], dir).trim()).toBe('3');
  });

  test.each([
    ['11', 'commonjs', BASELINE.nest11, INSTALL_LINES.nestApp11, INSTALL_LINES.nestTests11],
    ['12', 'module', BASELINE.nest12, INSTALL_LINES.nestApp12, INSTALL_LINES.nestTests12],
  ] as const)('a NestJS %s app (%s) installs with the README lines and its gateway test passes', (major, type, baseline, appLine, testsLine) => {
    const dir = project(path.join(workDir, `nest${major}-${type}`), type, baseline);
    installLine(dir, appLine, tarballs);
    installLine(dir, testsLine, tarballs);
    for (const nest of ['@nestjs/common', '@nestjs/core', '@nestjs/websockets', '@nestjs/platform-socket.io', '@nestjs/testing']) {
      expect([nest, installedVersion(dir, nest).split('.')[0]]).toEqual([nest, major]);
    }
    const result = buildAndTestNestApp(dir);
    const passed = result.pass === 3 && result.fail === 0;
    expect({ pass: result.pass, fail: result.fail, output: passed ? '' : result.output }).toEqual({ pass: 3, fail: 0, output: '' });
  });
});
