/**
 * Hostile input against the ws adapter, over the wire: the token never echoed in the 101 response whatever the
 * subprotocol order, nothing of a refused upgrade handled, nothing handled after expiry, cross-site cookie
 * upgrades, oversized and malformed tokens and frames, property-name tricks in message types, hostile
 * `auth:refresh` payloads, and no token fragment in anything logged or reported.
 */
import { connect, type Socket } from 'node:net';
import { WS_CLOSE_CODES, type SessionHooks } from '@sockauth/core';
import { TestClient, connectWs, refusal, startWsServer } from '../../packages/ws/test/support';
import { leakedTokenFragments } from '../support/app';
import { closeAll, closeAfterTest } from '@sockauth/testing';
import { expAtLeast, mint } from '../support/tokens';

afterEach(closeAll);

/** Sends a raw upgrade request and resolves with the HTTP response head (status line and headers). */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<string> {
  const { hostname, port, pathname } = new URL(url);
  const socket: Socket = connect(Number(port), hostname);
  closeAfterTest(() => void socket.destroy());
  const lines = [
    `GET ${pathname} HTTP/1.1`,
    `Host: ${hostname}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Version: 13',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return new Promise((resolve, reject) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end !== -1) resolve(head.slice(0, end));
    });
    socket.once('error', reject);
  });
}

/** A logger and hooks recording everything they receive, as text. */
function recorder(): { text: () => string; logger: Record<string, (record: unknown, message: string) => void>; hooks: SessionHooks } {
  const seen: string[] = [];
  const log = (record: unknown, message: string) => seen.push(JSON.stringify(record), message);
  const hook = (info: unknown) => void seen.push(JSON.stringify(info));
  return {
    text: () => seen.join('\n'),
    logger: { debug: log, info: log, warn: log, error: log },
    hooks: { onAuthFailure: hook, onAuthenticated: hook, onRelease: hook, onVerify: hook, onReauth: hook, onRevoke: hook, onExpire: hook },
  };
}

describe('ws adapter: hostile upgrades', () => {
  test.each([
    ['bearer entry first', (t: string) => `sockauth.bearer.${t}, sockauth`],
    ['bearer entry only', (t: string) => `sockauth.bearer.${t}`],
    ['a refused token first', (t: string) => `sockauth.bearer.${t}x, sockauth`],
  ])('the token is never echoed in the 101 response (%s)', async (_name, header) => {
    const { url } = await startWsServer();
    const token = await mint({ sub: 'alice' });
    const head = await rawUpgrade(url, { 'Sec-WebSocket-Protocol': header(token) });
    expect(head).toMatch(/^HTTP\/1\.1 101/);
    expect(leakedTokenFragments(head, [token])).toEqual([]);
    expect(head.includes('sockauth.bearer')).toBe(false);
  });

  test('frames a refused client sends at once are never handled, and check() refuses its socket', async () => {
    const server = await startWsServer();
    let handled = 0;
    server.wsAuth.on('whoami', () => ++handled);
    const verdicts: boolean[] = [];
    server.wss.on('connection', (ws) => {
      // An application listener that greets every connection: a refused one is already closing, nothing reaches it.
      ws.send(JSON.stringify({ type: 'welcome' }));
      void server.wsAuth.check(ws, 'whoami').then((verdict) => verdicts.push(verdict.ok));
    });
    const client = new TestClient(server.url, { protocols: ['sockauth', 'sockauth.bearer.not-a-token'] });
    await client.opened;
    for (let id = 0; id < 20; id++) client.sendRaw(JSON.stringify({ type: 'whoami', id }));
    const close = await client.closed;
    expect(close.code).toBe(WS_CLOSE_CODES.AUTH_INVALID);
    expect(handled).toBe(0);
    expect(client.frames).toEqual([]);
    expect(verdicts).toEqual([false]);
  });

  test('a cookie token without an Origin, or from a foreign one, is refused (cross-site WebSocket hijacking)', async () => {
    const { url } = await startWsServer({ cookie: { name: 'at', allowedOrigins: ['https://app.example'] } });
    const token = await mint({ sub: 'alice' });
    const attempts: Record<string, string>[] = [{ cookie: `at=${token}` }, { cookie: `at=${token}`, origin: 'https://app.example.evil' }];
    for (const headers of attempts) {
      expect((await refusal(new TestClient(url, { headers }))).code).toBe(WS_CLOSE_CODES.AUTH_INVALID);
    }
    const tossed = { cookie: `at=${token}; at=${await mint({ sub: 'mallory' })}`, origin: 'https://app.example' };
    expect((await refusal(new TestClient(url, { headers: tossed }))).code).toBe(WS_CLOSE_CODES.AUTH_INVALID);
  });

  test('a token over 8 KiB in the subprotocol is refused AUTH_INVALID', async () => {
    const { url } = await startWsServer();
    const token = await mint({ sub: 'alice', padding: 'x'.repeat(9_000) });
    const close = await refusal(new TestClient(url, { protocols: ['sockauth', `sockauth.bearer.${token}`] }));
    expect(close.reason).toEqual({ code: 'AUTH_INVALID', action: 'login' });
  });

  test('no token fragment reaches a log record or a hook, refused (query, subprotocol, header) or accepted', async () => {
    const { text, logger, hooks } = recorder();
    const { url } = await startWsServer({ logger: logger as never, hooks, allowQueryToken: true });
    const good = await mint({ sub: 'alice' });
    const expired = await mint({ sub: 'alice' }, { exp: 1_000, iat: 900 });
    const forged = `${good.slice(0, -4)}AAAA`;
    await refusal(new TestClient(`${url}?token=${expired}`));
    await refusal(new TestClient(url, { protocols: ['sockauth', `sockauth.bearer.${forged}`] }));
    await refusal(new TestClient(url, { headers: { authorization: `Bearer ${good}` }, protocols: ['sockauth', `sockauth.bearer.${forged}`] }));
    const client = await connectWs(url, good);
    await client.request('whoami');
    client.ws.close();
    await client.closed;
    const all = text();
    expect(all).toContain('AUTH_EXPIRED');
    expect(leakedTokenFragments(all, [good, expired, forged])).toEqual([]);
  });
});

describe('ws adapter: hostile messages', () => {
  test('nothing is handled after expiry, however fast the client sends', async () => {
    const server = await startWsServer({ events: { tick: null } });
    const exp = expAtLeast(800);
    const handledAt: number[] = [];
    server.wsAuth.on('tick', () => void handledAt.push(Date.now()));
    const client = await connectWs(server.url, await mint({ sub: 'alice' }, { exp }));
    let open = true;
    void client.closed.then(() => (open = false));
    while (open) {
      client.sendRaw(JSON.stringify({ type: 'tick' }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect((await client.closed).code).toBe(WS_CLOSE_CODES.AUTH_EXPIRED);
    expect(handledAt.length).toBeGreaterThan(0);
    expect(Math.max(...handledAt)).toBeLessThan(exp * 1000);
  });

  test('property-name types (__proto__, constructor, toString) are refused like any unlisted type; nothing breaks', async () => {
    const server = await startWsServer();
    const client = await connectWs(server.url, await mint({ sub: 'alice' }));
    for (const type of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(await client.request(type, { polluted: true })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
  });

  test.each([['a string', 'token'], ['null', null], ['an array', ['t']], ['a number token', { token: 42 }], ['no data', undefined]])(
    'auth:refresh with %s is refused, the context in force kept',
    async (_name, data) => {
      const { url } = await startWsServer();
      const client = await connectWs(url, await mint({ sub: 'alice' }));
      expect(await client.request('auth:refresh', data)).toMatchObject({ ok: false, error: { action: 'login' } });
      expect(await client.request('whoami')).toMatchObject({ subject: 'alice', version: 1 });
    },
  );

  test('a flood of malformed frames is answered or ignored, never crashes, and the connection still works', async () => {
    const { url } = await startWsServer();
    const client = await connectWs(url, await mint({ sub: 'alice' }));
    const junk = ['', '{', 'null', '"x"', '{"type":{}}', '{"type":"x","id":[1]}', '{"type":"x","id":1e999}', '\u0000'];
    for (let i = 0; i < 500; i++) client.sendRaw(junk[i % junk.length]!);
    client.sendRaw(Buffer.from([0xff, 0xfe, 0x00]), true);
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
  });
});
