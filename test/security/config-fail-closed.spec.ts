/**
 * Issue #13.1, "fail open on configuration", over the wire against both adapters: a malformed permission rule, a
 * misspelt option or a value of the wrong type is a `TypeError` at start-up naming what is wrong, never a server
 * that starts and lets a socket through. Each start-up case first shows what the configuration used to do: when
 * the server does start, a socket without the permission (or with the wrong audience, or its token in the query
 * string) is let in and its outcome is compared with "nothing", so the old behaviour fails with what got through.
 */
import 'reflect-metadata';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { createVerifier, MemoryRevocationStore, type PermissionRequirement } from '@sockauth/core';
import { createAuthClient } from '@sockauth/client';
import { openTelemetryHooks, prometheusHooks } from '@sockauth/metrics';
import { RequirePermissions, RequirePermissionsMetadata, SockAuthModule } from '@sockauth/nestjs';
import { RedisRevocationStore } from '@sockauth/redis';
import { createSockAuth } from '@sockauth/socket.io';
import { createSockAuthTestingApp, createTestIssuer } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { ADAPTER_EVENTS, ADAPTERS, startSocketIoAdapter, type AdapterServer } from '../support/adapters';
import { connectOutcome } from '../support/clients';
import { startNestApp } from '../support/nest';
import { claimsFor, hsVerifier, signHs } from '../support/hostile-tokens';
import { refusal, useHarness, type Harness, type StartOptions } from './harness';

const h = useHarness();

type StartUp = { readonly server: AdapterServer } | { readonly refused: unknown };

/** Starts a server with a configuration that may be refused. */
async function startUp(launch: () => Promise<AdapterServer>): Promise<StartUp> {
  try {
    return { server: await launch() };
  } catch (error) {
    return { refused: error };
  }
}

/** The error the start-up was refused with; fails (with what got through) if it started. */
async function refusedWith(outcome: StartUp, gotThrough: (server: AdapterServer) => Promise<unknown>): Promise<unknown> {
  if ('server' in outcome) expect({ startedAndLetThrough: await gotThrough(outcome.server) }).toBeUndefined();
  return (outcome as { refused: unknown }).refused;
}

/** A token with no permission at all. */
function unprivileged(harness: Harness, extra: Record<string, unknown> = {}): Promise<string> {
  return signHs(harness.keys, claimsFor('mallory', extra)).then((token) => harness.secret(token));
}

/** What a socket with no permission gets from `whoami`: its ack and the handlers that ran. */
async function whoamiWithoutPermission(server: AdapterServer): Promise<unknown> {
  const socket = await h.connect(server.url, { auth: { token: await unprivileged(h) } });
  const ack = await h.ack(socket, 'whoami');
  return { ack, handlersRun: server.runs.map((run) => run.event) };
}

/** Starts `start` with `options` and expects the start refused with a `TypeError` matching `message`. */
async function expectStartRefused(
  start: (typeof ADAPTERS)[number][1],
  options: StartOptions,
  message: RegExp,
  gotThrough: (server: AdapterServer) => Promise<unknown> = whoamiWithoutPermission,
): Promise<void> {
  const error = await refusedWith(await startUp(() => h.start(start, options)), gotThrough);
  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error).message).toMatch(message);
}

/** `whoami` meant to need `chat:admin`: the malformed ways to write it that used to mean "no permission". */
const MALFORMED_RULES: readonly (readonly [string, unknown])[] = [
  ['a misspelt key { allof }', { allof: ['chat:admin'] }],
  ['an empty object {}', {}],
  ['an empty any-of { anyOf: [] }', { anyOf: [] }],
  ['an empty array []', []],
  ['undefined', undefined],
  ['an array with a hole', [, 'chat:admin']], // eslint-disable-line no-sparse-arrays
];

describe.each(ADAPTERS)('%s: a malformed events rule is a start-up error', (_name, start) => {
  test.each(MALFORMED_RULES)('%s: TypeError naming events["whoami"], no socket without the permission runs the handler', async (_what, rule) => {
    const events = { ...ADAPTER_EVENTS, whoami: rule as PermissionRequirement };
    await expectStartRefused(start, { events }, /events\["whoami"\]/);
  });

  test.each([
    ['an empty event name', { '': 'chat:admin' }, /events\[""\]/],
    ['a "*" at the start of a name', { '*:kick': 'chat:admin' }, /events\["\*:kick"\]/],
    ['a "*" inside a name', { 'admin:*:kick': 'chat:admin' }, /events\["admin:\*:kick"\]/],
  ])('%s: TypeError naming the entry', async (_what, extra, message) => {
    await expectStartRefused(start, { events: { ...ADAPTER_EVENTS, ...extra } }, message);
  });

  test('the well-formed rule still starts, and is enforced', async () => {
    const server = await h.start(start, { events: { ...ADAPTER_EVENTS, whoami: { allOf: ['chat:admin'] } } });
    const socket = await h.connect(server.url, { auth: { token: await unprivileged(h) } });
    expect(await h.ack(socket, 'whoami')).toEqual({ error: { ...refusal('AUTH_FORBIDDEN'), message: expect.any(String) } });
    const admin = await h.connect(server.url, { auth: { token: await unprivileged(h, { scope: 'chat:admin' }) } });
    expect(await h.ack(admin, 'whoami')).toEqual(expect.objectContaining({ ok: true, handled: 'whoami' }));
    expect(server.runs.map((run) => [...(run.context?.permissions ?? [])])).toEqual([["chat:admin"]]);
  });
});

describe.each(ADAPTERS)('%s: a misspelt or mistyped option is a start-up error', (name, start) => {
  const where = name === 'nestjs' ? 'SockAuthModule options' : 'sockAuth options';

  test('warnBeforeSeconds: TypeError suggesting warnBeforeSec', async () => {
    await expectStartRefused(
      start,
      { auth: { warnBeforeSeconds: 5 } as never },
      new RegExp(`unknown option "warnBeforeSeconds" in ${where}; did you mean "warnBeforeSec"\\?`),
    );
  });

  test('verifier.audiance: TypeError suggesting audience, no token for another audience gets in', async () => {
    const verifier = { ...hsVerifier(h.keys), audience: undefined, audiance: 'sockauth-security' };
    await expectStartRefused(start, { auth: { verifier } as never }, /unknown option "audiance" in createVerifier options; did you mean "audience"\?/, async (server) => {
      const token = await unprivileged(h, { aud: 'another-service' });
      return connectOutcome(h.client(server.url, { auth: { token } })).then((outcome) => outcome.connected);
    });
  });

  test('allowQueryToken: "false" (a string): TypeError, no token is taken from the query string', async () => {
    await expectStartRefused(start, { auth: { allowQueryToken: 'false' } as never }, /allowQueryToken/, async (server) => {
      const token = await unprivileged(h);
      return connectOutcome(h.client(server.url, { query: { token } })).then((outcome) => outcome.connected);
    });
  });

  test.each([
    ['hooks.onAuthFailur', { hooks: { onAuthFailur: () => undefined } }, /unknown hook "onAuthFailur" in sockAuth options\.hooks; did you mean "onAuthFailure"\?/],
    ['eventRateLimit.brust', { eventRateLimit: { perSecond: 5, brust: 10 } }, /unknown option "brust" in sockAuth options\.eventRateLimit; did you mean "burst"\?/],
    ['cookie.allowedOrigin', { cookie: { name: 't', allowedOrigins: ['https://a.test'], allowedOrigin: ['https://b.test'] } }, /did you mean "allowedOrigins"\?/],
    ['allowQueryToken.parm', { allowQueryToken: { parm: 'access_token' } }, /unknown option "parm" in sockAuth options\.allowQueryToken; did you mean "param"\?/],
  ])('%s: TypeError with the nearest valid name', async (_what, auth, message) => {
    await expectStartRefused(start, { auth: auth as never }, message);
  });

  test('skipNamespaces: "/admin" (a string): TypeError naming skipNamespaces', async () => {
    await expectStartRefused(start, { auth: { skipNamespaces: '/admin' } as never }, /skipNamespaces/);
  });
});

describe('socket.io: guard() with a malformed rule', () => {
  test('throws a TypeError naming the handler, instead of guarding nothing', async () => {
    const server = await h.start(startSocketIoAdapter);
    function kick(this: Socket): void {}
    expect(() => server.sockAuth.guard({ allof: ['chat:admin'] } as never, kick)).toThrow(TypeError);
    expect(() => server.sockAuth.guard({ allof: ['chat:admin'] } as never, kick)).toThrow(/guard\(requirement\) of kick.*did you mean "allOf"/);
  });
});

describe('nestjs: malformed decorators and module options fail the start', () => {
  const runs: string[] = [];
  beforeEach(() => {
    runs.length = 0;
  });

  test('empty permission metadata on a handler: app init fails naming Gateway.handler; no socket without the permission runs it', async () => {
    @WebSocketGateway()
    class DocsGateway {
      // What @RequirePermissions() with an empty list stores: it used to mean "no permission needed".
      @RequirePermissionsMetadata([])
      @SubscribeMessage('doc:delete')
      remove(@ConnectedSocket() _socket: Socket) {
        runs.push('doc:delete');
        return { ok: true };
      }
    }
    const outcome = await startUp(async () => {
      const started = await startNestApp({
        imports: [SockAuthModule.forRoot({ verifier: hsVerifier(h.keys) })],
        providers: [DocsGateway],
      });
      return { url: started.url, runs: [] } as unknown as AdapterServer;
    });
    const error = await refusedWith(outcome, async (server) => {
      const socket = await h.connect(server.url, { auth: { token: await unprivileged(h) } });
      return { ack: await h.ack(socket, 'doc:delete'), handlersRun: [...runs] };
    });
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/DocsGateway\.remove/);
  });

  test('@RequirePermissions() with no permission: TypeError naming the handler', () => {
    expect(() => {
      class ReportsGateway {
        @RequirePermissions()
        purge() {}
      }
      return ReportsGateway;
    }).toThrow(/ReportsGateway\.purge/);
  });

  test('forRootAsync: a misspelt option returned by the factory fails app init with the suggestion', async () => {
    const outcome = await startUp(async () => {
      const started = await startNestApp({
        imports: [SockAuthModule.forRootAsync({ useFactory: () => ({ verifier: hsVerifier(h.keys), graceSeconds: 30 }) as never })],
      });
      return { url: started.url, runs: [] } as unknown as AdapterServer;
    });
    const error = await refusedWith(outcome, async () => 'started');
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/unknown option "graceSeconds" in SockAuthModule options; did you mean "graceSec"\?/);
  });

  test('forRootAsync: a misspelt option of forRootAsync itself throws at once', () => {
    expect(() => SockAuthModule.forRootAsync({ useFactory: () => ({}), injects: [] } as never)).toThrow(/did you mean "inject"\?/);
  });

  test('createSockAuthTestingApp: a misspelt option is refused with the suggestion', async () => {
    await expect(createSockAuthTestingApp({ providers: [] }, { listn: false } as never)).rejects.toThrow(/did you mean "listen"\?/);
  });
});

describe('every other options object users write refuses unknown keys (with the nearest valid one) and mistyped values', () => {
  const verifier = (): ReturnType<typeof hsVerifier> => hsVerifier(h.keys);
  test.each<[string, () => unknown, RegExp]>([
    ['createVerifier', () => createVerifier({ ...verifier(), isuer: 'x' } as never), /"isuer" in createVerifier options; did you mean "issuer"\?/],
    [
      'createVerifier jwksOptions',
      () => createVerifier({ algorithms: ['RS256'], jwksUri: 'https://idp.test/jwks', jwksOptions: { timeout: 1 } } as never),
      /"timeout" in createVerifier options\.jwksOptions; did you mean "timeoutMs"\?/,
    ],
    ['createVerifier cache', () => createVerifier({ ...verifier(), cache: { maxEntry: 5 } } as never), /did you mean "maxEntries"\?/],
    ['createSockAuth', () => createSockAuth({ verifier: verifier(), unlistedEvent: 'authenticated' } as never), /did you mean "unlistedEvents"\?/],
    ['createSockAuth unlistedEvents: "allow"', () => createSockAuth({ verifier: verifier(), unlistedEvents: 'allow' } as never), /unlistedEvents/],
    ['createSockAuth warnBeforeSec: "30"', () => createSockAuth({ verifier: verifier(), warnBeforeSec: '30' } as never), /warnBeforeSec/],
    ['createSockAuth events as a Map', () => createSockAuth({ verifier: verifier(), events: new Map([['whoami', 'chat:admin']]) } as never), /events/],
    ['MemoryRevocationStore', () => new MemoryRevocationStore({ retention: 60 } as never), /did you mean "retentionSec"\?/],
    ['RedisRevocationStore', () => new RedisRevocationStore({ url: 'redis://127.0.0.1:1', failmode: 'open' } as never), /did you mean "failMode"\?/],
    ['prometheusHooks', () => prometheusHooks({ client: {}, prefx: 'x_' } as never), /did you mean "prefix"\?/],
    ['openTelemetryHooks', () => openTelemetryHooks({ meter: {}, bucket: [1] } as never), /did you mean "buckets"\?/],
    ['createAuthClient', () => createAuthClient({ refresh: async () => 't', autoconnect: false } as never), /did you mean "autoConnect"\?/],
    [
      'createAuthClient backoff',
      () => createAuthClient({ refresh: async () => 't', autoConnect: false, backoff: { maxAttempt: 1 } } as never),
      /did you mean "maxAttempts"\?/,
    ],
  ])('%s', (_what, build, message) => {
    expect(build).toThrow(TypeError);
    expect(build).toThrow(message);
  });

  test('hooks: a class instance may keep state of its own, but every hook it sets must be a function', () => {
    class CountingHooks {
      failures = 0;
      onAuthFailure(): void {
        this.failures++;
      }
    }
    expect(() => createSockAuth({ verifier: verifier(), hooks: new CountingHooks() })).not.toThrow();
    class BrokenHooks {
      onExpire = 'log';
    }
    expect(() => createSockAuth({ verifier: verifier(), hooks: new BrokenHooks() as never })).toThrow(/hook "onExpire"/);
  });

  test('createTestIssuer', async () => {
    await expect(createTestIssuer({ defaultTtl: 5 } as never)).rejects.toThrow(/did you mean "defaultTtlSec"\?/);
  });
});
