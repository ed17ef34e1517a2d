import { AuthRevokedError, isAuthError } from '@sockauth/core/errors';
import { createAuthClient, EmitError, type AuthClient, type AuthClientOptions, type AuthClientState } from '../src/index.js';
import { FakeSocket, fakeToken, flush } from './fake-socket.js';

const T0 = Date.UTC(2030, 0, 1);
const MIN = 60_000;

interface Harness {
  socket: FakeSocket;
  client: AuthClient;
  refresh: jest.Mock<Promise<string>, []>;
  /** The token the app holds (what getToken returns). */
  current(): string;
  /** Server clock: local + skew. */
  serverNow(): number;
  states: AuthClientState[];
  unauthenticated: jest.Mock;
  /** A token the "server" issues now, valid for ttlSec. */
  issue(ttlSec?: number): string;
  /** Handshake, then accept. */
  connect(id?: string): Promise<void>;
  /** exp (ms) of the token the app holds. */
  expOf(token: string): number;
}

function setup(options: Partial<AuthClientOptions> & { skewMs?: number; ttlSec?: number } = {}): Harness {
  const { skewMs = 0, ttlSec = 900, ...clientOptions } = options;
  const socket = new FakeSocket();
  const serverNow = (): number => Date.now() + skewMs;
  let n = 0;
  const issue = (ttl = ttlSec): string => {
    const iat = Math.floor(serverNow() / 1000);
    return fakeToken({ iat, exp: iat + ttl, n: ++n });
  };
  let current = issue();
  const refresh = jest.fn(async () => (current = issue()));
  const client = createAuthClient({
    socket: socket.asSocket(),
    getToken: () => current,
    refresh,
    random: () => 0.5,
    ...clientOptions,
  });
  const states: AuthClientState[] = [];
  client.subscribe((status) => {
    if (states[states.length - 1] !== status.state) states.push(status.state);
  });
  const unauthenticated = jest.fn();
  client.on('unauthenticated', unauthenticated);
  return {
    socket,
    client,
    refresh,
    current: () => current,
    serverNow,
    states,
    unauthenticated,
    issue,
    async connect(id) {
      await flush();
      socket.accept(id);
      await flush();
    },
    expOf: (token) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).exp * 1000,
  };
}

/** Answers the pending auth:refresh like the server: ok with the token's exp and the next version. */
function ackRefresh(h: Harness, version: number): void {
  const [pending] = h.socket.emitted('auth:refresh');
  if (pending === undefined) throw new Error('no auth:refresh pending');
  const { token } = pending.args[0] as { token: string };
  pending.reply({ ok: true, expiresAt: h.expOf(token), version });
}

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('handshake', () => {
  it('presents getToken() at every handshake and reports the session', async () => {
    const h = setup();
    await flush();
    expect(h.socket.handshakes).toEqual([{ token: h.current() }]);
    expect(h.client.state).toBe('connecting');
    h.socket.accept('abc');
    expect(h.client.status).toMatchObject({
      state: 'authenticated',
      socketId: 'abc',
      version: 1,
      expiresAt: h.expOf(h.current()),
      attempt: 0,
      error: undefined,
    });
    h.client.close();
  });

  it('takes over the socket: its own auth callback, reconnection off, refuses a socket that is already active', () => {
    const socket = new FakeSocket();
    const client = createAuthClient({ socket: socket.asSocket(), refresh: async () => 't', autoConnect: false });
    expect(typeof socket.auth).toBe('function');
    expect(socket.io.reconnection).toHaveBeenCalledWith(false);
    expect(client.state).toBe('disconnected');
    expect(socket.connectCalls).toBe(0);
    const active = new FakeSocket();
    active.active = true;
    expect(() => createAuthClient({ socket: active.asSocket(), refresh: async () => 't' })).toThrow(/autoConnect: false/);
    client.close();
  });

  it('validates its options', () => {
    const socket = new FakeSocket().asSocket();
    expect(() => createAuthClient({ socket } as unknown as AuthClientOptions)).toThrow(/refresh/);
    expect(() => createAuthClient({ socket, refresh: async () => 't', refreshWindow: { startSec: 10, endSec: 20 } })).toThrow(/endSec/);
    expect(() => createAuthClient({ socket, refresh: async () => 't', backoff: { maxAttempts: -1 } })).toThrow(/maxAttempts/);
    expect(() => createAuthClient({ socket, refresh: async () => 't', backoff: { baseMs: 1000, capMs: 10 } })).toThrow(/capMs/);
    expect(() => createAuthClient({ refresh: async () => 't' })).toThrow(/url/);
  });

  it('without getToken, takes the first token from refresh()', async () => {
    const socket = new FakeSocket();
    const refresh = jest.fn(async () => ({ token: 'opaque-1', expiresAt: T0 + 5 * MIN }));
    const client = createAuthClient({ socket: socket.asSocket(), refresh });
    await flush();
    expect(socket.handshakes).toEqual([{ token: 'opaque-1' }]);
    socket.accept();
    expect(client.status.expiresAt).toBe(T0 + 5 * MIN);
    client.close();
  });

  it('uses the token refresh() returned when the app did not store it where getToken() reads', async () => {
    const socket = new FakeSocket();
    const stale = fakeToken({ iat: T0 / 1000, exp: T0 / 1000 + 900 });
    const fresh = fakeToken({ iat: T0 / 1000 + 1, exp: T0 / 1000 + 1800 });
    const client = createAuthClient({ socket: socket.asSocket(), getToken: () => stale, refresh: async () => fresh });
    await flush();
    socket.refuse('AUTH_EXPIRED', 'refresh');
    await jest.advanceTimersByTimeAsync(0);
    expect(socket.handshakes.map((h) => h.token)).toEqual([stale, fresh]);
    client.close();
  });
});

describe('pre-expiry refresh', () => {
  it('refreshes at the jittered point of [exp - 60 s, exp - 10 s], in band, on the same socket', async () => {
    const h = setup({ random: () => 0.5 }); // lead 35 s
    await h.connect('s1');
    const exp = h.expOf(h.current());
    expect(h.client.status.refreshAt).toBe(exp - 35_000);
    await jest.advanceTimersByTimeAsync(exp - 35_000 - Date.now() - 1);
    expect(h.refresh).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.client.state).toBe('refreshing');
    const [pending] = h.socket.emitted('auth:refresh');
    expect(pending!.args).toEqual([{ token: h.current() }]);
    const refreshed = jest.fn();
    h.client.on('refreshed', refreshed);
    ackRefresh(h, 2);
    await flush();
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 's1', version: 2, expiresAt: h.expOf(h.current()) });
    expect(refreshed).toHaveBeenCalledWith({ expiresAt: h.expOf(h.current()), version: 2 });
    expect(h.socket.connectCalls).toBe(1);
    // The next one is scheduled from the new expiry.
    expect(h.client.status.refreshAt).toBe(h.expOf(h.current()) - 35_000);
    h.client.close();
  });

  it('keeps refreshing token after token, version after version, without reconnecting', async () => {
    const h = setup({ ttlSec: 120, random: Math.random });
    await h.connect('s1');
    for (let version = 2; version <= 6; version++) {
      await jest.advanceTimersByTimeAsync(h.client.status.refreshAt! - Date.now());
      ackRefresh(h, version);
      await flush();
      expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 's1', version });
    }
    expect(h.refresh).toHaveBeenCalledTimes(5);
    expect(h.socket.connectCalls).toBe(1);
    h.client.close();
  });

  it('auth:expiring keeps a jittered point that is still ahead (no herd when 10k sockets are warned at once)', async () => {
    const h = setup({ random: () => 0.2 }); // lead 20 s
    await h.connect();
    const exp = h.expOf(h.current());
    await jest.advanceTimersByTimeAsync(exp - 30_000 - Date.now());
    h.socket.serverEmit('auth:expiring', { expiresAt: exp, inMs: 30_000 });
    expect(h.refresh).not.toHaveBeenCalled();
    expect(h.client.status.refreshAt).toBe(exp - 20_000);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.client.close();
  });

  it('auth:expiring refreshes in the time left when nothing was scheduled (opaque token)', async () => {
    const socket = new FakeSocket();
    let n = 0;
    const refresh = jest.fn(async () => `opaque-${++n}`);
    const client = createAuthClient({ socket: socket.asSocket(), getToken: () => 'opaque-0', refresh, random: () => 0.5 });
    await flush();
    socket.accept();
    expect(client.status.refreshAt).toBeUndefined();
    socket.serverEmit('auth:expiring', { expiresAt: Date.now() + 30_000, inMs: 30_000 });
    // 30 s left: window narrowed to [24 s, 10 s] before expiry, 0.5 → 17 s before → in 13 s.
    expect(client.status.refreshAt).toBe(Date.now() + 13_000);
    await jest.advanceTimersByTimeAsync(13_000);
    expect(refresh).toHaveBeenCalledTimes(1);
    client.close();
  });

  it('auth:expiring during a grace period refreshes at once', async () => {
    const h = setup();
    await h.connect();
    h.socket.serverEmit('auth:expiring', { expiresAt: Date.now() - 1, inMs: 0, graceEndsAt: Date.now() + 10_000 });
    await flush();
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.client.close();
  });

  it('ignores malformed auth:expiring payloads', async () => {
    const h = setup();
    await h.connect();
    const before = h.client.status;
    for (const payload of [undefined, null, 'soon', { expiresAt: 'x', inMs: 1 }, { expiresAt: 1, inMs: -5 }]) {
      h.socket.serverEmit('auth:expiring', payload);
    }
    expect(h.client.status).toBe(before);
    h.client.close();
  });

  it('never calls refresh() twice at once (refresh tokens rotate)', async () => {
    let resolve!: (token: string) => void;
    const h = setup();
    h.refresh.mockImplementation(() => new Promise<string>((r) => (resolve = r)));
    await h.connect();
    const a = h.client.refreshNow();
    const b = h.client.refreshNow();
    h.socket.serverEmit('auth:expiring', { expiresAt: h.expOf(h.current()), inMs: 30_000 });
    await flush();
    expect(h.refresh).toHaveBeenCalledTimes(1);
    resolve(h.issue());
    await flush();
    ackRefresh(h, 2);
    await expect(a).resolves.toBe(true);
    await expect(b).resolves.toBe(true);
    h.client.close();
  });

  it('with autoRefresh: false, schedules nothing and waits in `expired` after an expiry cut', async () => {
    const h = setup({ autoRefresh: false });
    await h.connect();
    expect(h.client.status.refreshAt).toBeUndefined();
    h.socket.serverEmit('auth:expiring', { expiresAt: h.expOf(h.current()), inMs: 30_000 });
    h.socket.cut('AUTH_EXPIRED', 'refresh');
    await jest.advanceTimersByTimeAsync(10 * MIN);
    expect(h.client.state).toBe('expired');
    expect(h.client.status.error?.code).toBe('AUTH_EXPIRED');
    expect(h.refresh).not.toHaveBeenCalled();
    expect(h.socket.connectCalls).toBe(1);
    await expect(h.client.emitWithAck('whoami')).rejects.toMatchObject({ name: 'EmitError', reason: 'closed' });
    const done = h.client.refreshNow();
    await flush();
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.socket.handshakes.at(-1)).toEqual({ token: h.current() });
    h.socket.accept();
    await expect(done).resolves.toBe(true);
    h.client.close();
  });
});

describe('clock skew', () => {
  it('local clock 5 min behind: auth:expiring measures the offset and the next refreshes follow the server clock', async () => {
    const h = setup({ skewMs: 5 * MIN, random: () => 0.5 });
    await h.connect();
    const exp = h.expOf(h.current());
    // Local estimate: 20 min left; the refresh would come 5 min too late without the server's warning.
    expect(h.client.status.refreshAt).toBe(exp - 35_000);
    await jest.advanceTimersByTimeAsync(exp - 30_000 - h.serverNow());
    h.socket.serverEmit('auth:expiring', { expiresAt: exp, inMs: 30_000 });
    expect(h.client.status.clockOffsetMs).toBe(5 * MIN);
    expect(h.client.status.clockSource).toBe('server');
    // The jittered point (exp - 35 s, server time) already passed: a new one within the 30 s left
    // (window narrowed to [24 s, 10 s] before expiry; 0.5 → 17 s before, i.e. in 13 s).
    expect(h.client.status.refreshAt).toBe(h.client.status.expiresAt! - 17_000 - 5 * MIN);
    await jest.advanceTimersByTimeAsync(13_000);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    ackRefresh(h, 2);
    await flush();
    const exp2 = h.expOf(h.current());
    // Scheduled on the server's clock: exp2 - 35 s server time = exp2 - 35 s - 5 min local time.
    expect(h.client.status.refreshAt).toBe(exp2 - 35_000 - 5 * MIN);
    await jest.advanceTimersByTimeAsync(h.client.status.refreshAt! - Date.now());
    expect(h.refresh).toHaveBeenCalledTimes(2);
    expect(exp2 - h.serverNow()).toBe(35_000);
    h.client.close();
  });

  it('local clock 1 h ahead: no refresh loop on a token that looks expired; the server warning drives the refresh', async () => {
    const h = setup({ skewMs: -60 * MIN, random: () => 0.5 });
    await h.connect();
    const exp = h.expOf(h.current());
    expect(h.client.status.refreshAt).toBeUndefined();
    await jest.advanceTimersByTimeAsync(exp - 30_000 - h.serverNow());
    expect(h.refresh).not.toHaveBeenCalled();
    h.socket.serverEmit('auth:expiring', { expiresAt: exp, inMs: 30_000 });
    expect(h.client.status.clockOffsetMs).toBe(-60 * MIN);
    await jest.advanceTimersByTimeAsync(13_000);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    ackRefresh(h, 2);
    await flush();
    const exp2 = h.expOf(h.current());
    await jest.advanceTimersByTimeAsync(exp2 - 35_000 - h.serverNow() - 1);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.refresh).toHaveBeenCalledTimes(2);
    h.client.close();
  });

  it('now: a client clock 5 min fast (the `now` option, server on the real clock) schedules on the server clock', async () => {
    const h = setup({ ttlSec: 120, now: () => Date.now() + 5 * MIN, random: () => 0.5 });
    await h.connect();
    const exp = h.expOf(h.current());
    // The token looks expired on the fast clock: nothing is scheduled, and no refresh loop starts.
    expect(h.client.status.refreshAt).toBeUndefined();
    await jest.advanceTimersByTimeAsync(exp - 30_000 - Date.now());
    expect(h.refresh).not.toHaveBeenCalled();
    h.socket.serverEmit('auth:expiring', { expiresAt: exp, inMs: 30_000 });
    expect(h.client.status.clockOffsetMs).toBe(-5 * MIN);
    // Local times are on the client's clock: the refresh is due 17 s before exp, i.e. in 13 s.
    expect(h.client.status.refreshAt).toBe(exp - 17_000 + 5 * MIN);
    await jest.advanceTimersByTimeAsync(13_000 - 1);
    expect(h.refresh).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.client.close();
  });

  it('now: must be a function', () => {
    expect(() => createAuthClient({ url: 'http://127.0.0.1:1', refresh: async () => 't', autoConnect: false, now: 5 as never })).toThrow(
      expect.objectContaining({ name: 'TypeError', message: expect.stringContaining('"now"') }),
    );
  });

  it('estimates the offset from a fresh token iat before the server measured it', async () => {
    const h = setup({ skewMs: 10 * MIN });
    await h.connect();
    void h.client.refreshNow();
    await flush();
    expect(h.client.status.clockSource).toBe('token');
    expect(Math.abs(h.client.status.clockOffsetMs - 10 * MIN)).toBeLessThanOrEqual(1000);
    h.client.close();
  });
});

describe('error taxonomy', () => {
  it('refresh: a handshake refused with AUTH_EXPIRED gets a fresh token, then reconnects at once', async () => {
    const h = setup();
    await flush();
    const first = h.current();
    h.socket.refuse('AUTH_EXPIRED', 'refresh');
    expect(h.client.state).toBe('expired');
    await jest.advanceTimersByTimeAsync(0);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.socket.handshakes.map((x) => x.token)).toEqual([first, h.current()]);
    h.socket.accept();
    expect(h.states).toEqual(['connecting', 'expired', 'connecting', 'authenticated']);
    h.client.close();
  });

  it('refresh: a socket cut with AUTH_EXPIRED refreshes and reconnects', async () => {
    const h = setup();
    await h.connect('s1');
    h.socket.cut('AUTH_EXPIRED', 'refresh');
    expect(h.client.status).toMatchObject({ state: 'expired', disconnectReason: 'io server disconnect' });
    expect(h.client.status.error?.code).toBe('AUTH_EXPIRED');
    await jest.advanceTimersByTimeAsync(0);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.socket.accept('s2');
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 's2', version: 1, error: undefined });
    h.client.close();
  });

  it('refresh: a cut during an in-band refresh reuses the token already fetched', async () => {
    const h = setup();
    await h.connect();
    void h.client.refreshNow();
    await flush();
    expect(h.socket.emitted('auth:refresh')).toHaveLength(1);
    h.socket.cut('AUTH_EXPIRED', 'refresh');
    await jest.advanceTimersByTimeAsync(0);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.socket.handshakes.at(-1)).toEqual({ token: h.current() });
    h.client.close();
  });

  it('retry: AUTH_NOT_YET_VALID / AUTH_UNAVAILABLE back off with full jitter before reconnecting', async () => {
    const h = setup({ random: () => 0.5, backoff: { baseMs: 1000, capMs: 8000, maxAttempts: 10 } });
    await flush();
    const at: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 6; i++) {
      h.socket.refuse(i % 2 ? 'AUTH_UNAVAILABLE' : 'AUTH_NOT_YET_VALID', 'retry');
      expect(h.client.status.attempt).toBe(i + 1);
      const calls = h.socket.connectCalls;
      await jest.advanceTimersByTimeAsync(h.client.status.retryAt! - Date.now() - 1);
      expect(h.socket.connectCalls).toBe(calls);
      await jest.advanceTimersByTimeAsync(1);
      expect(h.socket.connectCalls).toBe(calls + 1);
      at.push(Date.now());
      await flush();
    }
    const delays = at.map((t, i) => (t - (i === 0 ? start : at[i - 1]!)) / 1000);
    // Half of the ceiling (random 0.5): the ceiling doubles (1, 2, 4, 8 s), then stays at the cap.
    expect(delays).toEqual([0.5, 1, 2, 4, 4, 4]);
    h.socket.accept();
    expect(h.client.state).toBe('authenticated');
    h.client.close();
  });

  it('retry: transport failures are bounded — maxAttempts reconnections, then `disconnected` and silence', async () => {
    const h = setup({ random: Math.random, backoff: { baseMs: 100, capMs: 1000, maxAttempts: 5 } });
    await flush();
    const delays: number[] = [];
    let last = Date.now();
    for (let i = 0; i < 5; i++) {
      h.socket.unreachable();
      const ceiling = Math.min(1000, 100 * 2 ** i);
      const delay = h.client.status.retryAt! - Date.now();
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(ceiling);
      await jest.advanceTimersByTimeAsync(delay);
      delays.push(Date.now() - last);
      last = Date.now();
      await flush();
    }
    expect(h.socket.connectCalls).toBe(6);
    h.socket.unreachable();
    expect(h.client.status).toMatchObject({ state: 'disconnected', retryAt: undefined });
    await jest.advanceTimersByTimeAsync(60 * MIN);
    expect(h.socket.connectCalls).toBe(6);
    expect(jest.getTimerCount()).toBe(0);
    // connect() starts a new budget.
    h.client.connect();
    await flush();
    expect(h.socket.connectCalls).toBe(7);
    expect(h.client.status.attempt).toBe(0);
    h.client.close();
  });

  it('retry: a dropped transport reconnects; the retry budget resets once the connection stays up', async () => {
    const h = setup({ random: () => 0.5, backoff: { baseMs: 1000, capMs: 30_000, maxAttempts: 3 } });
    await h.connect('s1');
    for (let i = 0; i < 5; i++) {
      h.socket.drop();
      expect(h.client.state).toBe('connecting');
      expect(h.client.status.disconnectReason).toBe('transport close');
      await jest.advanceTimersByTimeAsync(h.client.status.retryAt! - Date.now());
      h.socket.accept();
      await jest.advanceTimersByTimeAsync(10_000);
      expect(h.client.status.attempt).toBe(0);
    }
    expect(h.client.state).toBe('authenticated');
    h.client.close();
  });

  it('retry: a server that accepts then drops at once runs out of attempts instead of looping', async () => {
    const h = setup({ random: () => 0.5, backoff: { baseMs: 100, capMs: 1000, maxAttempts: 4 } });
    await h.connect();
    for (let i = 0; i < 10 && h.client.state !== 'disconnected'; i++) {
      h.socket.drop();
      if (h.client.status.retryAt === undefined) break;
      await jest.advanceTimersByTimeAsync(h.client.status.retryAt - Date.now());
      h.socket.accept();
    }
    expect(h.client.state).toBe('disconnected');
    expect(h.socket.connectCalls).toBe(5);
    h.client.close();
  });

  it.each([
    ['AUTH_REVOKED', 'cut'],
    ['AUTH_INVALID', 'handshake'],
    ['AUTH_MISSING', 'handshake'],
    ['AUTH_IDENTITY_MISMATCH', 'cut'],
  ])('login: %s (%s) → one `unauthenticated` event, no reconnection', async (code, where) => {
    const h = setup();
    if (where === 'cut') {
      await h.connect();
      h.socket.cut(code, 'login');
    } else {
      await flush();
      h.socket.refuse(code, 'login');
    }
    expect(h.client.state).toBe('unauthenticated');
    expect(h.unauthenticated).toHaveBeenCalledTimes(1);
    expect(h.unauthenticated.mock.calls[0][0]).toMatchObject({ code, action: 'login' });
    expect(isAuthError(h.unauthenticated.mock.calls[0][0])).toBe(true);
    // Whatever arrives later, no second event, no reconnection.
    h.socket.refuse(code, 'login');
    h.socket.serverEmit('auth:error', { code, action: 'login', message: 'again' });
    h.socket.drop();
    await jest.advanceTimersByTimeAsync(60 * MIN);
    expect(h.unauthenticated).toHaveBeenCalledTimes(1);
    expect(h.socket.connectCalls).toBe(1);
    expect(h.refresh).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
    await expect(h.client.emitWithAck('whoami')).rejects.toMatchObject({ code });
    h.client.close();
  });

  it('login: connect() after a new login starts again and can end in `unauthenticated` once more', async () => {
    const h = setup();
    await h.connect();
    h.socket.cut('AUTH_REVOKED', 'login');
    h.client.connect();
    await flush();
    expect(h.socket.handshakes).toHaveLength(2);
    h.socket.refuse('AUTH_REVOKED', 'login');
    expect(h.unauthenticated).toHaveBeenCalledTimes(2);
    h.client.close();
  });

  it('login: an in-band refusal (AUTH_REVOKED) ends the session', async () => {
    const h = setup();
    await h.connect();
    const done = h.client.refreshNow();
    await flush();
    h.socket.emitted('auth:refresh')[0]!.reply({ ok: false, error: { code: 'AUTH_REVOKED', action: 'login', message: 'revoked' } });
    await expect(done).resolves.toBe(false);
    expect(h.client.state).toBe('unauthenticated');
    expect(h.unauthenticated).toHaveBeenCalledTimes(1);
    expect(h.socket.connected).toBe(false);
    h.client.close();
  });

  it('login: refresh() throwing a login code (e.g. the 401 body of a reused refresh token) ends the session', async () => {
    const h = setup();
    await h.connect();
    h.refresh.mockRejectedValueOnce({ code: 'AUTH_REVOKED', message: 'refresh token reused' });
    await expect(h.client.refreshNow()).resolves.toBe(false);
    expect(h.client.state).toBe('unauthenticated');
    expect(h.unauthenticated.mock.calls[0][0]).toBeInstanceOf(AuthRevokedError);
    h.client.close();
  });

  it.each([
    ['handshake', (h: Harness) => h.socket.refuse('AUTH_FORBIDDEN', 'none', 'tenant suspended')],
    ['cut', (h: Harness) => h.socket.cut('AUTH_FORBIDDEN', 'none')],
  ])('none: a connection refused by policy (%s) → state `forbidden`, one `forbidden` event, no timer, no refresh, no retry', async (where, refuse) => {
    const h = setup({ backoff: { baseMs: 10, capMs: 20, maxAttempts: 50 } });
    const forbidden = jest.fn();
    const errors = jest.fn();
    h.client.on('forbidden', forbidden);
    h.client.on('error', errors);
    if (where === 'cut') await h.connect();
    else await flush();
    refuse(h);
    expect(h.client.status).toMatchObject({ state: 'forbidden', retryAt: undefined, refreshAt: undefined, socketId: undefined });
    expect(h.client.status.error).toMatchObject({ code: 'AUTH_FORBIDDEN', action: 'none', name: 'AuthForbiddenError' });
    expect(forbidden).toHaveBeenCalledTimes(1);
    expect(isAuthError(forbidden.mock.calls[0][0])).toBe(true);
    expect(forbidden.mock.calls[0][0]).toMatchObject({ code: 'AUTH_FORBIDDEN', action: 'none' });
    expect(errors).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
    // Whatever arrives later, no second event, no reconnection, no refresh.
    h.socket.refuse('AUTH_FORBIDDEN', 'none');
    h.socket.serverEmit('auth:error', { code: 'AUTH_FORBIDDEN', action: 'none', message: 'again' });
    h.socket.serverEmit('auth:expiring', { expiresAt: h.expOf(h.current()), inMs: 30_000 });
    h.socket.drop();
    await jest.advanceTimersByTimeAsync(60 * MIN);
    expect(forbidden).toHaveBeenCalledTimes(1);
    expect(h.unauthenticated).not.toHaveBeenCalled();
    expect(h.socket.connectCalls).toBe(1);
    expect(h.refresh).not.toHaveBeenCalled();
    expect(h.states.at(-1)).toBe('forbidden');
    // Nothing a token can fix: refreshNow() does nothing; emits fail with the reason.
    await expect(h.client.refreshNow()).resolves.toBe(false);
    expect(h.refresh).not.toHaveBeenCalled();
    await expect(h.client.emitWithAck('whoami')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    // The app acted (the tenant is back): connect() starts again with a fresh budget.
    h.client.connect();
    await flush();
    expect(h.socket.connectCalls).toBe(2);
    h.socket.accept();
    expect(h.client.status).toMatchObject({ state: 'authenticated', error: undefined, attempt: 0 });
    h.client.close();
  });

  it('none: refresh() refused by policy (a 403 body) while reconnecting after an expiry → `forbidden`, no retry', async () => {
    const h = setup({ backoff: { baseMs: 10, capMs: 20, maxAttempts: 50 } });
    const forbidden = jest.fn();
    h.client.on('forbidden', forbidden);
    await h.connect();
    h.refresh.mockRejectedValue({ code: 'AUTH_FORBIDDEN', message: 'tenant suspended' });
    h.socket.cut('AUTH_EXPIRED', 'refresh');
    await jest.advanceTimersByTimeAsync(60 * MIN);
    expect(h.client.state).toBe('forbidden');
    expect(forbidden).toHaveBeenCalledTimes(1);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.socket.connectCalls).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
    h.client.close();
  });

  it('none: refreshNow() in `expired` (autoRefresh: false) with refresh() refused by policy → `forbidden`', async () => {
    const h = setup({ autoRefresh: false });
    const forbidden = jest.fn();
    h.client.on('forbidden', forbidden);
    await h.connect();
    h.socket.cut('AUTH_EXPIRED', 'refresh');
    expect(h.client.state).toBe('expired');
    h.refresh.mockRejectedValue({ code: 'AUTH_FORBIDDEN', message: 'tenant suspended' });
    await expect(h.client.refreshNow()).resolves.toBe(false);
    expect(h.client.state).toBe('forbidden');
    expect(forbidden).toHaveBeenCalledTimes(1);
    expect(h.socket.connectCalls).toBe(1);
    expect(jest.getTimerCount()).toBe(0);
    h.client.close();
  });

  it('none: an in-band auth:refresh refused by policy keeps the socket and the token in force; no retry loop', async () => {
    const h = setup({ backoff: { baseMs: 10, capMs: 20, maxAttempts: 50 } });
    const forbidden = jest.fn();
    h.client.on('forbidden', forbidden);
    await h.connect('s1');
    const done = h.client.refreshNow();
    await flush();
    h.socket.emitted('auth:refresh')[0]!.reply({ ok: false, error: { code: 'AUTH_FORBIDDEN', action: 'none', message: 'no' } });
    await expect(done).resolves.toBe(false);
    await jest.advanceTimersByTimeAsync(MIN);
    expect(h.socket.emitted('auth:refresh')).toHaveLength(0);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 's1', version: 1 });
    expect(h.client.status.error?.code).toBe('AUTH_FORBIDDEN');
    // The socket was not refused: the connection goes on until the server says otherwise.
    expect(forbidden).not.toHaveBeenCalled();
    h.client.close();
  });

  it('unknown: a refusal with a code of a newer server is retried like a network failure, a bounded number of times', async () => {
    const h = setup({ random: () => 0.5, backoff: { baseMs: 100, capMs: 100, maxAttempts: 2 } });
    const forbidden = jest.fn();
    const errors = jest.fn();
    h.client.on('forbidden', forbidden);
    h.client.on('error', errors);
    await flush();
    for (let i = 0; i < 3; i++) {
      h.socket.refuse('AUTH_TENANT_SUSPENDED', 'none');
      await jest.advanceTimersByTimeAsync(100);
    }
    expect(h.socket.connectCalls).toBe(3);
    expect(h.client.status).toMatchObject({ state: 'disconnected', error: undefined });
    expect(forbidden).not.toHaveBeenCalled();
    expect(h.unauthenticated).not.toHaveBeenCalled();
    expect(errors).not.toHaveBeenCalled();
    expect(jest.getTimerCount()).toBe(0);
    h.client.close();
  });

  it('refresh: an in-band AUTH_STALE fetches another token; failures are bounded and the token in force stays', async () => {
    const h = setup({ random: () => 0.5, backoff: { baseMs: 100, capMs: 1000, maxAttempts: 2 } });
    await h.connect('s1');
    const errors = jest.fn();
    h.client.on('error', errors);
    const done = h.client.refreshNow();
    for (let i = 0; i < 3; i++) {
      await jest.advanceTimersByTimeAsync(1000);
      h.socket.emitted('auth:refresh')[0]!.reply({ ok: false, error: { code: 'AUTH_STALE', action: 'refresh', message: 'stale' } });
    }
    await expect(done).resolves.toBe(false);
    expect(h.refresh).toHaveBeenCalledTimes(3);
    expect(errors).toHaveBeenCalledTimes(3);
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 's1', version: 1 });
    expect(h.client.status.error?.code).toBe('AUTH_STALE');
    await jest.advanceTimersByTimeAsync(5 * MIN);
    expect(h.refresh).toHaveBeenCalledTimes(3);
    h.client.close();
  });

  it('retry: refresh() failing with a network error is retried with backoff, a bounded number of times', async () => {
    const h = setup({ random: () => 0.999, backoff: { baseMs: 100, capMs: 1000, maxAttempts: 3 } });
    await h.connect();
    h.refresh.mockRejectedValue(new TypeError('Failed to fetch'));
    const done = h.client.refreshNow();
    await jest.advanceTimersByTimeAsync(10_000);
    await expect(done).resolves.toBe(false);
    expect(h.refresh).toHaveBeenCalledTimes(4);
    expect(h.client.state).toBe('authenticated');
    h.client.close();
  });

  it('retry: an unanswered auth:refresh times out and is resent with the same token (no second refresh())', async () => {
    const h = setup({ ackTimeoutMs: 1000, random: () => 0, backoff: { baseMs: 100, capMs: 100, maxAttempts: 3 } });
    await h.connect();
    const done = h.client.refreshNow();
    await flush();
    const [first] = h.socket.emitted('auth:refresh');
    await jest.advanceTimersByTimeAsync(1000);
    expect(h.socket.emitted('auth:refresh')).toHaveLength(0); // timed out
    await jest.advanceTimersByTimeAsync(1);
    const [second] = h.socket.emitted('auth:refresh');
    expect(second!.args).toEqual(first!.args);
    ackRefresh(h, 2);
    await expect(done).resolves.toBe(true);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.client.close();
  });

  it('retry: an in-band AUTH_UNAVAILABLE (store down, rate limit) backs off and resends the same token', async () => {
    const h = setup({ random: () => 0.5, backoff: { baseMs: 200, capMs: 1000, maxAttempts: 3 } });
    await h.connect();
    const done = h.client.refreshNow();
    await flush();
    const [first] = h.socket.emitted('auth:refresh');
    first!.reply({ ok: false, error: { code: 'AUTH_UNAVAILABLE', action: 'retry', message: 'slow down' } });
    await jest.advanceTimersByTimeAsync(99);
    expect(h.socket.emitted('auth:refresh')).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1);
    expect(h.socket.emitted('auth:refresh')[0]!.args).toEqual(first!.args);
    ackRefresh(h, 2);
    await expect(done).resolves.toBe(true);
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.client.close();
  });

  it('an io server disconnect without an auth reason is not retried', async () => {
    const h = setup();
    await h.connect();
    h.socket.serverEmit('disconnect', 'io server disconnect');
    await jest.advanceTimersByTimeAsync(60 * MIN);
    expect(h.client.state).toBe('disconnected');
    expect(h.socket.connectCalls).toBe(1);
    h.client.close();
  });
});

describe('emitWithAck', () => {
  it('resolves with the ack', async () => {
    const h = setup();
    await h.connect();
    const result = h.client.emitWithAck('chat:join', { room: 'lobby' });
    const [pending] = h.socket.emitted('chat:join');
    expect(pending!.args).toEqual([{ room: 'lobby' }]);
    pending!.reply({ ok: true });
    await expect(result).resolves.toEqual({ ok: true });
    h.client.close();
  });

  it('none: a denied event rejects with the typed AuthError; the socket stays', async () => {
    const h = setup();
    await h.connect('s1');
    const result = h.client.emitWithAck('admin:announce', { text: 'hi' });
    h.socket.emitted('admin:announce')[0]!.reply({ error: { code: 'AUTH_FORBIDDEN', action: 'none', message: 'no' } });
    const error = await result.catch((e: unknown) => e);
    expect(isAuthError(error)).toBe(true);
    expect(error).toMatchObject({ code: 'AUTH_FORBIDDEN', action: 'none', name: 'AuthForbiddenError' });
    expect(h.client.status).toMatchObject({ state: 'authenticated', socketId: 's1' });
    h.client.close();
  });

  it('leaves app errors that are not sockauth codes to the app', async () => {
    const h = setup();
    await h.connect();
    const result = h.client.emitWithAck('chat:send', {});
    const ack = { ok: false, error: { code: 'BAD_REQUEST', message: 'room required' } };
    h.socket.emitted('chat:send')[0]!.reply(ack);
    await expect(result).resolves.toEqual(ack);
    h.client.close();
  });

  it('a denied event with action refresh (deadline passed) also starts a refresh', async () => {
    const h = setup();
    await h.connect();
    const result = h.client.emitWithAck('chat:send', { text: 'late' });
    h.socket.emitted('chat:send')[0]!.reply({ error: { code: 'AUTH_EXPIRED', action: 'refresh', message: 'expired' } });
    await expect(result).rejects.toMatchObject({ code: 'AUTH_EXPIRED' });
    await flush();
    expect(h.refresh).toHaveBeenCalledTimes(1);
    h.client.close();
  });

  it('rejects with EmitError on a timeout or a disconnection', async () => {
    const h = setup({ ackTimeoutMs: 2000 });
    await h.connect();
    const late = h.client.emitWithAck('whoami').catch((e: unknown) => Promise.reject(e));
    late.catch(() => undefined);
    await jest.advanceTimersByTimeAsync(2000);
    await expect(late).rejects.toMatchObject({ name: 'EmitError', reason: 'timeout', event: 'whoami' });
    const dropped = h.client.emitWithAck('whoami');
    h.socket.drop();
    const error = await dropped.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmitError);
    expect(error).toMatchObject({ reason: 'disconnected' });
    h.client.close();
  });

  it('idempotent(): adds an id and resends the same payload after a reconnection, not after a denial', async () => {
    const h = setup({ random: () => 0 });
    await h.connect();
    const result = h.client.idempotent().emitWithAck('chat:send', { room: 'r', text: 'hi' });
    const first = h.socket.emitted('chat:send')[0]!;
    const { id } = first.args[0] as { id: string };
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    h.socket.drop();
    await jest.advanceTimersByTimeAsync(0);
    h.socket.accept();
    await flush();
    const second = h.socket.emitted('chat:send')[0]!;
    expect(second.args[0]).toEqual({ room: 'r', text: 'hi', id });
    second.reply({ ok: true, id });
    await expect(result).resolves.toEqual({ ok: true, id });

    const denied = h.client.idempotent().emitWithAck('chat:send', { room: 'r', text: 'no', id: 'mine' });
    const only = h.socket.emitted('chat:send')[0]!;
    expect((only.args[0] as { id: string }).id).toBe('mine');
    only.reply({ error: { code: 'AUTH_FORBIDDEN', action: 'none', message: 'no' } });
    await expect(denied).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    expect(h.socket.emitted('chat:send')).toHaveLength(0);
    await expect(h.client.idempotent().emitWithAck('chat:send', 'text' as never)).rejects.toThrow(TypeError);
    h.client.close();
  });
});

describe('auth:room-left', () => {
  it('reaches on("roomLeft") as { room, code, action }; a malformed one is ignored; the socket stays', async () => {
    const h = setup();
    await h.connect();
    const left = jest.fn();
    h.client.on('roomLeft', left);
    h.socket.serverEmit('auth:room-left', { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
    h.socket.serverEmit('auth:room-left', { room: 7, code: 'AUTH_FORBIDDEN' });
    h.socket.serverEmit('auth:room-left', { room: 'lobby', code: 'NOPE' });
    expect(left.mock.calls).toEqual([[{ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' }]]);
    expect(h.client.state).toBe('authenticated');
    h.client.close();
  });
});

describe('state observable and close()', () => {
  it('subscribe() delivers the current status at once, then every change, until unsubscribed', async () => {
    const h = setup({ autoConnect: false });
    const seen: AuthClientState[] = [];
    const unsubscribe = h.client.subscribe((status) => {
      if (seen.at(-1) !== status.state) seen.push(status.state);
    });
    expect(seen).toEqual(['disconnected']);
    h.client.connect();
    await h.connect();
    unsubscribe();
    h.socket.cut('AUTH_REVOKED', 'login');
    expect(seen).toEqual(['disconnected', 'connecting', 'authenticated']);
    expect(h.client.state).toBe('unauthenticated');
  });

  it('a throwing listener does not break the client', async () => {
    const h = setup();
    const thrown: unknown[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) => original(() => { try { fn(); } catch (e) { thrown.push(e); } });
    try {
      h.client.subscribe(() => {
        throw new Error('app bug');
      });
      await h.connect();
      await jest.advanceTimersByTimeAsync(0); // fake timers run queued microtasks with the clock
      expect(h.client.state).toBe('authenticated');
      expect(thrown.length).toBeGreaterThan(0);
    } finally {
      globalThis.queueMicrotask = original;
      h.client.close();
    }
  });

  it('close() clears every timer, detaches from the socket and settles pending work', async () => {
    const h = setup({ backoff: { baseMs: 10_000, capMs: 10_000, maxAttempts: 5 } });
    await h.connect();
    expect(jest.getTimerCount()).toBeGreaterThan(0);
    const pendingRefresh = h.client.refreshNow();
    h.client.close();
    expect(h.client.state).toBe('closed');
    expect(jest.getTimerCount()).toBe(0);
    expect(h.socket.listenerCount('connect')).toBe(0);
    expect(h.socket.listenerCount('auth:expiring')).toBe(0);
    expect(h.socket.connected).toBe(false);
    await expect(pendingRefresh).resolves.toBe(false);
    await expect(h.client.refreshNow()).resolves.toBe(false);
    await expect(h.client.emitWithAck('whoami')).rejects.toMatchObject({ reason: 'closed' });
    expect(() => h.client.connect()).toThrow(/close/);
    h.client.close();

    // Also while waiting for a backoff delay.
    const g = setup({ backoff: { baseMs: 10_000, capMs: 10_000, maxAttempts: 5 } });
    await flush();
    g.socket.unreachable();
    expect(jest.getTimerCount()).toBe(1);
    g.client.close();
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(g.socket.connectCalls).toBe(1);
  });
});
