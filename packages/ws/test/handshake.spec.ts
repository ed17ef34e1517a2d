import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { AuthForbiddenError, MemoryRevocationStore, WS_CLOSE_CODES, defaultMapClaims, type AuthErrorCode } from '@sockauth/core';
import { createWsAuth } from '../src/index';
import { TestClient, connectWs, gatedVerifier, refusal, startWsServer } from './support';
import { closeAll, closeAfterTest } from '@sockauth/testing';
import { hs256Verifier, mint, nowSec, unsignedToken } from '../../../test/support/tokens';

afterEach(closeAll);

const ACTIONS: Record<string, string> = { AUTH_MISSING: 'login', AUTH_INVALID: 'login', AUTH_EXPIRED: 'refresh', AUTH_NOT_YET_VALID: 'retry', AUTH_REVOKED: 'login', AUTH_FORBIDDEN: 'none' };

function expectRefused(close: { code: number; reason: unknown; rawReason: string }, code: AuthErrorCode): void {
  expect(close.reason).toEqual({ code, action: ACTIONS[code] });
  expect(close.code).toBe(WS_CLOSE_CODES[code]);
  expect(Buffer.byteLength(close.rawReason)).toBeLessThan(123);
}

describe('ws upgrade: token sources', () => {
  test('Authorization: Bearer is accepted, and the context is the token’s', async () => {
    const { url } = await startWsServer();
    const client = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:read' }));
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice', permissions: ['chat:read'], version: 1 });
  });

  test('the subprotocols ["sockauth", "sockauth.bearer.<token>"]: sockauth is selected, the token never echoed', async () => {
    const { url } = await startWsServer();
    const token = await mint({ sub: 'alice' });
    // Bearer entry first: ws would select it by default.
    const client = new TestClient(url, { protocols: [`sockauth.bearer.${token}`, 'sockauth'] });
    await client.opened;
    expect(client.ws.protocol).toBe('sockauth');
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
  });

  test('the query token only with allowQueryToken, redacted from req.url', async () => {
    const token = await mint({ sub: 'alice' });
    const off = await startWsServer();
    expectRefused(await refusal(new TestClient(`${off.url}?token=${token}`)), 'AUTH_MISSING');

    const on = await startWsServer({ allowQueryToken: true });
    const client = new TestClient(`${on.url}?room=a&token=${token}`);
    await client.opened;
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
    expect(on.requests[0]!.url).toBe('/ws?room=a&token=[redacted]');
  });

  test('the subprotocol token is gone from the request the application sees', async () => {
    const server = await startWsServer();
    const token = await mint({ sub: 'alice' });
    const client = new TestClient(server.url, { protocols: ['sockauth', `sockauth.bearer.${token}`] });
    await client.opened;
    await client.request('whoami');
    const req = server.requests[0]!;
    expect(req.headers['sec-websocket-protocol']).toBe('sockauth');
    expect(req.rawHeaders.join('\n')).not.toContain(token);
  });

  test('a cookie token only from an allowed Origin', async () => {
    const { url } = await startWsServer({ cookie: { name: 'at', allowedOrigins: ['https://app.example'] } });
    const token = await mint({ sub: 'alice' });
    const ok = new TestClient(url, { headers: { cookie: `at=${token}`, origin: 'https://app.example' } });
    await ok.opened;
    expect(await ok.request('whoami')).toMatchObject({ subject: 'alice' });
    expectRefused(await refusal(new TestClient(url, { headers: { cookie: `at=${token}`, origin: 'https://evil.example' } })), 'AUTH_INVALID');
  });

  test.each([
    ['header and subprotocol', (a: string, b: string) => ({ headers: { authorization: `Bearer ${a}` }, protocols: ['sockauth', `sockauth.bearer.${b}`] }), ''],
    ['header and query', (a: string) => ({ headers: { authorization: `Bearer ${a}` } }), 'query'],
    ['two bearer subprotocols', (a: string, b: string) => ({ protocols: ['sockauth', `sockauth.bearer.${a}`, `sockauth.bearer.${b}`] }), ''],
  ])('different tokens in two places (%s) are refused AUTH_INVALID, never merged', async (_name, options, query) => {
    const { url } = await startWsServer({ allowQueryToken: true });
    const alice = await mint({ sub: 'alice' });
    const bob = await mint({ sub: 'bob' });
    const target = query === 'query' ? `${url}?token=${bob}` : url;
    const close = await refusal(new TestClient(target, options(alice, bob)));
    expectRefused(close, 'AUTH_INVALID');
  });

  test('the same token in two places is one token', async () => {
    const { url } = await startWsServer();
    const token = await mint({ sub: 'alice' });
    const client = new TestClient(url, { headers: { authorization: `Bearer ${token}` }, protocols: ['sockauth', `sockauth.bearer.${token}`] });
    await client.opened;
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
  });
});

describe('ws upgrade: refusals complete the upgrade, then close with the code and the JSON reason', () => {
  test.each<[string, AuthErrorCode, () => Promise<string | undefined>]>([
    ['no token', 'AUTH_MISSING', async () => undefined],
    ['a bad signature', 'AUTH_INVALID', () => mint({ sub: 'alice' }, { secret: 'another-secret-another-secret-0123456789' })],
    ['alg none', 'AUTH_INVALID', async () => unsignedToken({ sub: 'alice' })],
    ['an expired token', 'AUTH_EXPIRED', () => mint({ sub: 'alice' }, { exp: nowSec() - 10, iat: nowSec() - 20 })],
    ['a token not yet valid', 'AUTH_NOT_YET_VALID', () => mint({ sub: 'alice' }, { nbf: nowSec() + 120 })],
  ])('%s → %s, before any application message, sockauth still selected', async (_name, code, token) => {
    const { url, wsAuth } = await startWsServer();
    let pushed = 0;
    wsAuth.onConnection(() => pushed++);
    const value = await token();
    const protocols = value === undefined ? ['sockauth'] : ['sockauth', `sockauth.bearer.${value}`];
    const close = await refusal(new TestClient(url, { protocols }));
    expectRefused(close, code);
    expect(close.protocol).toBe('sockauth');
    expect(close.frames).toEqual([]);
    expect(pushed).toBe(0);
  });

  test('a revoked subject → AUTH_REVOKED (4102)', async () => {
    const { url, wsAuth } = await startWsServer({ revocationStore: new MemoryRevocationStore() });
    await wsAuth.revoke({ subject: 'mallory' });
    const token = await mint({ sub: 'mallory' }, { iat: nowSec() - 5 });
    expectRefused(await refusal(new TestClient(url, { headers: { authorization: `Bearer ${token}` } })), 'AUTH_REVOKED');
  });

  test('mapClaims refusing by policy → AUTH_FORBIDDEN (4400, action none)', async () => {
    const { url } = await startWsServer({
      mapClaims: (claims) => {
        if (claims.sub === 'banned') throw new AuthForbiddenError('banned');
        return defaultMapClaims(claims);
      },
    });
    expectRefused(await refusal(new TestClient(url, { headers: { authorization: `Bearer ${await mint({ sub: 'banned' })}` } })), 'AUTH_FORBIDDEN');
  });

  test('after close(), upgrades are refused AUTH_UNAVAILABLE (4301) and open connections closed with it', async () => {
    const { url, wsAuth } = await startWsServer();
    const open = await connectWs(url, await mint({ sub: 'alice' }));
    wsAuth.close();
    expect((await open.closed).code).toBe(WS_CLOSE_CODES.AUTH_UNAVAILABLE);
    const close = await refusal(new TestClient(url, { headers: { authorization: `Bearer ${await mint({ sub: 'alice' })}` } }));
    expect(close.code).toBe(WS_CLOSE_CODES.AUTH_UNAVAILABLE);
  });
  test('close() while an upgrade is being verified: that upgrade is refused 4301 too, never admitted', async () => {
    const { verifier, verifying, release } = gatedVerifier();
    const { url, wsAuth } = await startWsServer({ verifier });
    let admitted = 0;
    wsAuth.onConnection(() => admitted++);
    const client = new TestClient(url, { headers: { authorization: 'Bearer opaque' } });
    await verifying;
    wsAuth.close();
    release();
    const close = await refusal(client);
    expect(close.reason).toEqual({ code: 'AUTH_UNAVAILABLE', action: 'retry' });
    expect(admitted).toBe(0);
  });
});

describe('ws servers: noServer, several paths, configuration', () => {
  test('two noServer servers on one HTTP server, routed by path: each authenticates, refusals never reach the callback', async () => {
    const http = createServer();
    const wsAuth = createWsAuth({ verifier: hs256Verifier(), events: { whoami: null } });
    const chat = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
    const feed = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
    const reached: string[] = [];
    http.on('upgrade', (req, socket, head) => {
      const path = new URL(req.url!, 'http://localhost').pathname;
      const wss = path === '/chat' ? chat : path === '/feed' ? feed : undefined;
      if (wss === undefined) return socket.destroy();
      wsAuth.handleUpgrade(wss, req, socket, head, (ws) => {
        reached.push(`${path}:${wsAuth.contextOf(ws)?.subject}`);
        wss.emit('connection', ws, req);
      });
    });
    wsAuth.on('whoami', (_data, { context }) => ({ subject: context.subject }));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    closeAfterTest(async () => {
      wsAuth.close();
      for (const wss of [chat, feed]) for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const base = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const alice = await connectWs(`${base}/chat`, await mint({ sub: 'alice' }));
    const bob = await connectWs(`${base}/feed`, await mint({ sub: 'bob' }));
    expect(await alice.request('whoami')).toEqual({ subject: 'alice' });
    expect(await bob.request('whoami')).toEqual({ subject: 'bob' });
    expectRefused(await refusal(new TestClient(`${base}/chat`)), 'AUTH_MISSING');
    expect(reached.sort()).toEqual(['/chat:alice', '/feed:bob']);
  });

  test('attach() refuses a server made without serverOptions, naming what is missing', () => {
    const wsAuth = createWsAuth({ verifier: hs256Verifier() });
    const bare = new WebSocketServer({ noServer: true });
    expect(() => wsAuth.attach(bare)).toThrow(/verifyClient/);
    const noProtocols = new WebSocketServer({ noServer: true, verifyClient: wsAuth.serverOptions.verifyClient });
    expect(() => wsAuth.attach(noProtocols)).toThrow(/handleProtocols/);
    const bigFrames = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions, maxPayload: 10 * 1024 * 1024 });
    expect(() => wsAuth.attach(bigFrames)).toThrow(/maxPayload/);
    expect(() => wsAuth.attach(new WebSocketServer({ noServer: true, ...wsAuth.serverOptions }))).not.toThrow();
    wsAuth.close();
  });

  test.each([
    [{ verifier: hs256Verifier(), maxPayLoad: 10 }, /maxPayLoad.*maxPayload/],
    [{ verifier: hs256Verifier(), maxPayload: 0 }, /maxPayload/],
    [{ verifier: hs256Verifier(), envelope: 'yes' }, /envelope/],
    [{ verifier: hs256Verifier(), handleProtocols: 'sockauth' }, /handleProtocols/],
    [{ verifier: hs256Verifier(), tokenSources: ['query'] }, /allowQueryToken/],
    [{ verifier: hs256Verifier(), warnBeforeSeconds: 3 }, /warnBeforeSeconds.*warnBeforeSec/],
    [{}, /verifier/],
  ])('createWsAuth(%o) is a TypeError naming the option', (options, message) => {
    expect(() => createWsAuth(options as never)).toThrow(TypeError);
    expect(() => createWsAuth(options as never)).toThrow(message);
  });
});
