/**
 * The conformance suite's configuration: every mistake is a TypeError naming the option before any test runs, a
 * skip is explicit and shows its reason in the test name, and a missing log capture fails rather than skips.
 */
import { WebSocket } from 'ws';
import { conformanceFlows, defineConformanceSuite, webSocketDriver, type ConformanceOptions, type ConformanceRunner } from '../src/index.js';
import { chatServer } from './servers.js';

const base: ConformanceOptions = {
  start: async () => ({ url: 'http://127.0.0.1:1', stop: () => undefined }),
  permissions: ['chat:read', 'chat:write'],
  privileged: { permission: 'chat:write', request: (id, room) => ({ event: 'chat:send', payload: { room, id } }) },
  harmless: { event: 'whoami' },
  observe: { subscribe: (room) => ({ event: 'chat:join', payload: { room } }), event: 'chat:message', keyOf: (m) => m },
  rooms: { permission: 'chat:read' },
  revoke: async () => undefined,
  restrict: async () => undefined,
};

const typeError = (name: string) => expect.objectContaining({ name: 'TypeError', message: expect.stringContaining(name) });

describe('conformance options', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown option', { strat: 1 }, '"strat"'],
    ['an unknown privileged option', { privileged: { ...base.privileged, perm: 'x' } }, '"perm"'],
    ['no start', { start: undefined }, '"start"'],
    ['no restrict (a skip must be explicit)', { restrict: undefined }, 'restrict'],
    ['a skip without a reason', { rooms: { skip: '' } }, 'rooms.skip'],
    ['rooms without observe', { observe: { skip: 'none' } }, '"rooms" needs "observe"'],
    ['permissions without the privileged one', { permissions: ['chat:read'] }, '"chat:write"'],
    ['a skip of an unknown flow', { skip: { 'expiry-idel': 'typo' } }, '"expiry-idel"'],
    ['both mint and issuer', { mint: async () => 't', issuer: {} }, '"mint" or "issuer"'],
    ['a timing below its minimum', { timings: { ttlSec: 0 } }, 'timings.ttlSec'],
  ])('refuses %s with a TypeError naming it', (_what, change, name) => {
    expect(() => conformanceFlows({ ...base, ...change } as ConformanceOptions)).toThrow(typeError(name));
  });

  it('generates one test per flow through the runner, skipped ones named with their reason', () => {
    const calls: string[] = [];
    const it = Object.assign((name: string, _body: unknown, timeoutMs?: number) => calls.push(`it ${name} ${typeof timeoutMs}`), {
      skip: (name: string) => calls.push(`skip ${name}`),
    });
    const runner: ConformanceRunner = {
      describe: (name, body) => {
        calls.push(`describe ${name}`);
        body();
      },
      it,
      beforeAll: () => calls.push('beforeAll'),
      afterAll: () => calls.push('afterAll'),
    };
    const suite = defineConformanceSuite(runner, { ...base, restrict: { skip: 'no admin API' }, skip: { 'tokens-in-logs': 'logs go to a SaaS' } });
    expect(calls.slice(0, 3)).toEqual(['describe sockauth lifecycle conformance (socket.io)', 'beforeAll', 'afterAll']);
    expect(calls.filter((call) => call.startsWith('it '))).toHaveLength(suite.flows.length - 2);
    expect(calls.filter((call) => call.startsWith('it ')).every((call) => call.endsWith(' number'))).toBe(true);
    expect(calls.filter((call) => call.startsWith('skip '))).toEqual([
      expect.stringMatching(/restrict.*\(skipped: no admin API\)$/),
      expect.stringMatching(/logs.*\(skipped: logs go to a SaaS\)$/),
    ]);
  });

  it('refuses a start() that does not resolve with { url, stop }', async () => {
    const suite = conformanceFlows({ ...base, start: async () => ({}) as never });
    await expect(suite.setUp()).rejects.toThrow(typeError('start()'));
  });

  it('fails the log flow (NO_LOG_CAPTURE) when the server handle has no logs() and the flow was not skipped', async () => {
    const suite = conformanceFlows({
      ...base,
      async start({ issuer }) {
        const { io } = await chatServer(issuer!);
        const { port } = io.httpServer.address() as { port: number };
        return { url: `http://127.0.0.1:${port}`, stop: () => undefined };
      },
    });
    await suite.setUp();
    try {
      await expect(suite.flows.find((flow) => flow.id === 'tokens-in-logs')!.run()).rejects.toMatchObject({ name: 'ConformanceFailure', code: 'NO_LOG_CAPTURE' });
    } finally {
      await suite.tearDown();
    }
  });
});

describe('webSocketDriver options', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown option', { WebSocket, pth: '/ws' }, '"pth"'],
    ['a path without its slash', { WebSocket, path: 'ws' }, '"path"'],
    ['an unknown token placement', { WebSocket, credentials: 'query' }, '"credentials"'],
    ['no WebSocket constructor where there is no global one', { WebSocket: 'ws' }, '"WebSocket"'],
  ])('refuses %s with a TypeError naming it', (_what, options, name) => {
    expect(() => webSocketDriver(options as never)).toThrow(typeError(name));
  });

  it('is named for the suite title', () => {
    expect(webSocketDriver({ path: '/ws', credentials: 'header', WebSocket }).name).toBe('websocket');
  });
});
