/**
 * The feature test of `src/ws-internals.ts`: the one undocumented member of `ws` the adapter reads, and the documented
 * behaviours of `ws` it is built on, each checked against the `ws` in use. `test/packaging/ws-versions.spec.ts` runs
 * it (with the adapter suites) on the lowest and the newest ws of the peer range; a ws that changed one of them fails
 * here by name. The subprotocol selection (`handleProtocols` given the offered set, the token offered first) is
 * checked in `handshake.spec.ts`, which runs there too.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { WebSocketServer } from 'ws';
import { closeAll } from '@sockauth/testing';
import { UnsupportedWsInternalsError, createWsAuth } from '../src/index';
import { keptServerOptions, wsVersionOf } from '../src/ws-internals';
import { TestClient, connectWs, refusal, startWsServer } from './support';
import { deferred } from '../../../test/support/async';
import { hs256Verifier, mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const PEER_RANGE = (JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8')) as { peerDependencies: Record<string, string> })
  .peerDependencies['ws']!;

describe('ws internals: WebSocketServer#options', () => {
  test('a server keeps the very options it was created with: the functions and the limit sockauth gave', () => {
    const wsAuth = createWsAuth({ verifier: hs256Verifier(), maxPayload: 4096 });
    const wss = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
    const kept = keptServerOptions(wss, 'test');
    expect(kept.verifyClient).toBe(wsAuth.serverOptions.verifyClient);
    expect(kept.handleProtocols).toBe(wsAuth.serverOptions.handleProtocols);
    expect(kept.maxPayload).toBe(4096);
    wsAuth.close();
  });

  test('the version found is the ws in use, inside the peer range', () => {
    const wss = new WebSocketServer({ noServer: true });
    const version = wsVersionOf(wss);
    expect(semver.satisfies(version, PEER_RANGE)).toBe(true);
    const expected = process.env['SOCKAUTH_EXPECT_WS_VERSION'];
    if (expected !== undefined) expect(version).toBe(expected);
  });

  test('a ws whose servers keep no options: attach() and handleUpgrade() throw, naming the member and the version', () => {
    const wsAuth = createWsAuth({ verifier: hs256Verifier() });
    const wss = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
    const version = wsVersionOf(wss);
    Object.defineProperty(wss, 'options', { value: undefined });
    const attempts = [() => wsAuth.attach(wss), () => wsAuth.handleUpgrade(wss, {} as never, {} as never, Buffer.alloc(0), () => undefined)];
    for (const attempt of attempts) {
      let error: unknown;
      try {
        attempt();
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(UnsupportedWsInternalsError);
      expect(error).toMatchObject({ member: 'WebSocketServer#options', packageName: 'ws', version });
    }
    expect(wss.listenerCount('connection')).toBe(0);
    wsAuth.close();
  });

  test('something that is not a ws server is a TypeError, not an internals error', () => {
    const wsAuth = createWsAuth({ verifier: hs256Verifier() });
    expect(() => wsAuth.attach({ options: wsAuth.serverOptions } as never)).toThrow(TypeError);
    wsAuth.close();
  });
});

describe('ws behaviour the adapter is built on', () => {
  test('verifyClient completes before the 101: a pending verification holds the upgrade', async () => {
    const verifying = deferred();
    const release = deferred();
    const order: string[] = [];
    const { url, http, wss, wsAuth } = await startWsServer({
      verifier: {
        algorithms: ['HS256'],
        verify: async () => {
          verifying.resolve();
          await release.promise;
          order.push('verified');
          return { sub: 'alice', exp: nowSec() + 60, iat: nowSec() };
        },
      },
    });
    http.on('request', (_req, res) => res.end('ok'));
    const subjects: (string | undefined)[] = [];
    wss.on('connection', (ws) => subjects.push(wsAuth.contextOf(ws)?.subject));
    const client = new TestClient(url, { headers: { authorization: 'Bearer opaque' } });
    client.ws.once('upgrade', () => order.push('101'));
    await verifying.promise;
    // A full HTTP round trip on the same server while the verification is pending: a 101 written without waiting
    // for it would have reached the client first.
    expect(await (await fetch(url.replace('ws:', 'http:'))).text()).toBe('ok');
    order.push('round trip');
    release.resolve();
    await client.opened;
    expect(order).toEqual(['round trip', 'verified', '101']);
    // 'connection' carries the request verifyClient saw: the adapter finds the verification by it.
    expect(subjects).toEqual(['alice']);
  });

  test('a refused upgrade still completes in server mode: "connection" is emitted, the socket closed with its code', async () => {
    const { url, wss, wsAuth } = await startWsServer();
    const seen: (string | undefined)[] = [];
    wss.on('connection', (ws) => seen.push(wsAuth.contextOf(ws)?.subject ?? 'refused'));
    const close = await refusal(new TestClient(url, { protocols: ['sockauth'] }));
    expect(close.reason).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    expect(close.code).toBeGreaterThanOrEqual(4000);
    expect(close.protocol).toBe('sockauth');
    expect(seen).toEqual(['refused']);
  });

  test('a frame over maxPayload closes with 1009 (after an error event the adapter handles); the server carries on', async () => {
    const { url } = await startWsServer({ maxPayload: 1024 });
    const token = await mint({ sub: 'alice' });
    const big = await connectWs(url, token);
    big.sendRaw(JSON.stringify({ type: 'whoami', data: 'x'.repeat(2048) }));
    expect((await big.closed).code).toBe(1009);
    const next = await connectWs(url, token);
    expect(await next.request('whoami')).toMatchObject({ subject: 'alice' });
  });
});
