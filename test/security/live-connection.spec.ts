/**
 * Attacks on live connections, over the wire, against both adapters: events flooded before the handshake
 * completes, hostile re-auths (identity switch, stale, replayed, revoked, unsigned, malformed, flooded), an
 * authenticated socket flooding events past the per-socket rate limit, hostile event names, a connection-state
 * recovery after revocation, a token re-signed in ECDSA high-s form after its revocation, a 30-day `exp` (no
 * early timer), and a clock that passes `exp` before the timer does.
 */
import { MemoryRevocationStore, type RevocationStore } from '@sockauth/core';
import { compactVerify } from 'jose';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { deferred, quietPeriod, settle, until } from '../support/async';
import { connectOutcome, nextEvent, type ClientSocket } from '../support/clients';
import { SEC_AUDIENCE, SEC_ISSUER, claimsFor, highS, hsVerifier, nowSec, signHs, signWith, unsigned } from '../support/hostile-tokens';
import { rawSocket } from '../support/raw-socket';
import { refusal, useHarness } from './harness';

const h = useHarness();

const RECOVERY = { connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares: true } };

function denied(code: Parameters<typeof refusal>[0]) {
  return { error: { ...refusal(code), message: expect.any(String) } };
}
function refreshRefused(code: Parameters<typeof refusal>[0]) {
  return { ok: false, error: { ...refusal(code), message: expect.any(String) } };
}

describe.each(ADAPTERS)('%s: before the handshake completes', (_name, start) => {
  /** A store whose answers wait for `gate`: the handshake stays pending as long as the test wants. */
  function gatedStore(gate: Promise<void>): RevocationStore {
    const store = new MemoryRevocationStore();
    return {
      revokeToken: (id, until) => store.revokeToken(id, until),
      revokeSubject: (subject, since) => store.revokeSubject(subject, since),
      revokeSession: (id) => store.revokeSession(id),
      isRevoked: async (token) => {
        await gate;
        return store.isRevoked(token);
      },
      subscribe: (listener) => store.subscribe(listener),
    };
  }

  test.each([
    ['a valid token', true],
    ['a forged token', false],
  ])('events flooded behind a CONNECT with %s: the connection is closed, no handler runs, nothing stays authenticated', async (_what, valid) => {
    const gate = deferred();
    const verified = deferred();
    const server = await h.start(start, {
      auth: {
        revocationStore: gatedStore(gate.promise),
        hooks: h.log.hooks({ onVerify: () => verified.resolve(), onAuthFailure: () => verified.resolve() }),
      },
    });
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write chat:admin' }), valid ? {} : { secret: h.keys.attackerSecret }));
    const raw = await rawSocket(server.url);
    raw.send(`40${JSON.stringify({ token })}`);
    for (let i = 0; i < 100; i++) {
      raw.send(`42${JSON.stringify(['chat:send', { i }])}`);
      raw.send(`42${i}${JSON.stringify(['admin:kick', { i }])}`);
    }
    // Socket.IO drops a client that sends events for a namespace it has not joined.
    await raw.closed;
    gate.resolve();
    await verified.promise;
    await until(() => server.sockAuth.size === 0);
    await settle();
    expect(server.runs).toEqual([]);
    expect(server.connections).toEqual([]);
    expect(raw.frames.filter((frame) => frame.startsWith('43') || frame.startsWith('42'))).toEqual([]);
  });
});

describe.each(ADAPTERS)('%s: hostile re-auth', (_name, start) => {
  const T = nowSec();
  async function connected(server: AdapterServer, extra = {}): Promise<ClientSocket> {
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: 'a-1', scope: 'chat:write', iat: T - 10, ...extra })));
    const socket = await h.connect(server.url, { auth: { token } });
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ subject: 'alice', version: 1 });
    return socket;
  }
  async function expectUnchanged(server: AdapterServer, socket: ClientSocket, version = 1) {
    expect(socket.connected).toBe(true);
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ subject: 'alice', version });
    expect(server.runs.every((run) => run.event === 'whoami' && run.context?.subject === 'alice')).toBe(true);
  }
  async function refresh(socket: ClientSocket, payload: unknown): Promise<unknown> {
    return h.ack(socket, 'auth:refresh', payload);
  }

  test('identity switch (a valid, newer token for another subject) → AUTH_IDENTITY_MISMATCH, socket kept as alice', async () => {
    const server = await h.start(start);
    const socket = await connected(server);
    const bob = h.secret(await signHs(h.keys, claimsFor('bob', { sid: 's-1', scope: 'chat:admin', iat: T })));
    await expect(refresh(socket, { token: bob })).resolves.toEqual(refreshRefused('AUTH_IDENTITY_MISMATCH'));
    await expectUnchanged(server, socket);
    await expect(h.ack(socket, 'admin:kick')).resolves.toEqual(denied('AUTH_FORBIDDEN'));
    expect(server.runs.map((run) => run.event)).toEqual(['whoami', 'whoami']);
  });

  test('session switch (same subject, another sid) → AUTH_IDENTITY_MISMATCH, socket kept', async () => {
    const server = await h.start(start);
    const socket = await connected(server);
    const other = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-2', iat: T })));
    await expect(refresh(socket, { token: other })).resolves.toEqual(refreshRefused('AUTH_IDENTITY_MISMATCH'));
    await expectUnchanged(server, socket);
  });

  test('stale re-auth (iat older than the token in force) → AUTH_STALE, socket kept', async () => {
    const server = await h.start(start);
    const socket = await connected(server);
    const older = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: 'a-0', iat: T - 100 })));
    await expect(refresh(socket, { token: older })).resolves.toEqual(refreshRefused('AUTH_STALE'));
    await expectUnchanged(server, socket);
  });

  test('replayed re-auth (a token that was already in force on this socket) → AUTH_STALE, socket kept', async () => {
    const server = await h.start(start);
    const first = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: 'a-1', iat: T - 10 })));
    const socket = await h.connect(server.url, { auth: { token: first } });
    const second = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: 'a-2', iat: T - 10 })));
    await expect(refresh(socket, { token: second })).resolves.toMatchObject({ ok: true, version: 2 });
    await expect(refresh(socket, { token: first })).resolves.toEqual(refreshRefused('AUTH_STALE'));
    await expectUnchanged(server, socket, 2);
  });

  test('revoked re-auth token (its jti revoked) → AUTH_REVOKED, the valid context in force is kept', async () => {
    const server = await h.start(start);
    const socket = await connected(server);
    await server.sockAuth.revoke({ tokenId: 'a-2' });
    const revoked = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: 'a-2', iat: T })));
    await expect(refresh(socket, { token: revoked })).resolves.toEqual(refreshRefused('AUTH_REVOKED'));
    await expectUnchanged(server, socket);
  });

  test('an unsigned (alg none) re-auth token → AUTH_INVALID, socket kept', async () => {
    const server = await h.start(start);
    const socket = await connected(server);
    const forged = h.secret(unsigned('none', claimsFor('alice', { sid: 's-1', scope: 'chat:admin', iat: T })));
    await expect(refresh(socket, { token: forged })).resolves.toEqual(refreshRefused('AUTH_INVALID'));
    await expect(h.ack(socket, 'admin:kick')).resolves.toEqual(denied('AUTH_FORBIDDEN'));
    await expectUnchanged(server, socket);
  });

  test.each([
    ['a bare string', 'eyJhbGciOiJub25lIn0.e30.', 'AUTH_MISSING'],
    ['null', null, 'AUTH_MISSING'],
    ['a token that is an object', { token: { toString: 'x' } }, 'AUTH_INVALID'],
    ['a token that is a number', { token: 1e21 }, 'AUTH_INVALID'],
    ['a token that is an array', { token: ['a', 'b'] }, 'AUTH_INVALID'],
  ] as const)('a malformed auth:refresh payload (%s) → %s, socket kept', async (_what, payload, code) => {
    const server = await h.start(start);
    const socket = await connected(server);
    await expect(refresh(socket, payload)).resolves.toEqual(refreshRefused(code));
    socket.emit('auth:refresh', { token: 'no-ack-at-all' });
    await expectUnchanged(server, socket);
  });

  test('re-auths past maxReauthsPerMinute → AUTH_UNAVAILABLE (retry), socket kept', async () => {
    const server = await h.start(start, { auth: { maxReauthsPerMinute: 3 } });
    const socket = await connected(server);
    const replies: unknown[] = [];
    for (let i = 0; i < 5; i++) {
      const token = h.secret(await signHs(h.keys, claimsFor('alice', { sid: 's-1', jti: `r-${i}`, iat: T })));
      replies.push(await refresh(socket, { token }));
    }
    expect(replies.slice(0, 3)).toEqual([
      expect.objectContaining({ ok: true, version: 2 }),
      expect.objectContaining({ ok: true, version: 3 }),
      expect.objectContaining({ ok: true, version: 4 }),
    ]);
    expect(replies.slice(3)).toEqual([refreshRefused('AUTH_UNAVAILABLE'), refreshRefused('AUTH_UNAVAILABLE')]);
    await expectUnchanged(server, socket, 4);
  });
});

describe.each(ADAPTERS)('%s: event floods and hostile event names', (_name, start) => {
  test('an authenticated socket flooding past the rate limit: refused before any handler, then disconnected', async () => {
    const T = nowSec();
    const server = await h.start(start, {
      // A frozen clock: no refill during the flood, so the numbers are exact.
      auth: { verifier: hsVerifier(h.keys, { now: () => T * 1000 }), eventRateLimit: { perSecond: 5, burst: 5, disconnectAfter: 20 } },
    });
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write' }, T))) } });
    // The burst: 5 events handled, one by one.
    for (let i = 0; i < 5; i++) await expect(h.ack(socket, i % 2 === 0 ? 'chat:send' : 'whoami', { i })).resolves.toMatchObject({ ok: true });
    const acks: unknown[] = [];
    const authError = nextEvent(socket, 'auth:error');
    const disconnected = nextEvent<string>(socket, 'disconnect');
    for (let i = 0; i < 60; i++) socket.emit(i % 2 === 0 ? 'chat:send' : 'whoami', { i }, (reply: unknown) => acks.push(reply));
    await expect(authError).resolves.toEqual({ ...refusal('AUTH_UNAVAILABLE'), message: expect.any(String) });
    await expect(disconnected).resolves.toBe('io server disconnect');
    await settle();
    // Then 21 refused (20 tolerated, the 21st ends the socket); the rest of the flood is never processed.
    expect(acks).toEqual(Array.from({ length: 21 }, () => denied('AUTH_UNAVAILABLE')));
    expect(server.runs).toHaveLength(5);
    expect(server.sockAuth.size).toBe(0);
    const failures = h.log.of('hook:onAuthFailure').map((text) => JSON.parse(text));
    expect(failures).toHaveLength(21);
    expect(failures.every((f: { code: string; stage: string }) => f.code === 'AUTH_UNAVAILABLE' && f.stage === 'event')).toBe(true);
    expect(h.log.logRecords).toContainEqual(expect.objectContaining({ sockauth: 'rate-limited', level: 40, code: 'AUTH_UNAVAILABLE', subject: 'alice' }));
    expect(h.log.of('hook:onRelease').map((text) => JSON.parse(text).reason)).toEqual(['rate-limited']);
  });

  test('the bucket refills from the clock (no timers): refused while empty, served again a second later', async () => {
    let clock = nowSec() * 1000;
    const server = await h.start(start, {
      auth: { verifier: hsVerifier(h.keys, { now: () => clock }), eventRateLimit: { perSecond: 2, burst: 2, disconnectAfter: 10 } },
    });
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'), {})) } });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await h.ack(socket, 'whoami'));
    expect(replies).toEqual([expect.objectContaining({ ok: true }), expect.objectContaining({ ok: true }), denied('AUTH_UNAVAILABLE')]);
    clock += 1_000; // +2 tokens, minus the refused event's debt: one more event fits
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ ok: true });
    await expect(h.ack(socket, 'whoami')).resolves.toEqual(denied('AUTH_UNAVAILABLE'));
    expect(socket.connected).toBe(true);
    expect(server.runs).toHaveLength(3);
  });

  test.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'auth:error', 'auth:expiring', 'admin:*'])(
    'an event named %s → AUTH_FORBIDDEN, no handler, socket kept',
    async (event) => {
      const server = await h.start(start);
      const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write chat:admin' }))) } });
      await expect(h.ack(socket, event)).resolves.toEqual(denied('AUTH_FORBIDDEN'));
      expect(server.runs).toEqual([]);
      await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ subject: 'alice' });
    },
  );

  test('an event whose name is a number → AUTH_FORBIDDEN, no handler, socket kept', async () => {
    const server = await h.start(start);
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice'))) } });
    await expect(h.ack(socket, 42)).resolves.toEqual(denied('AUTH_FORBIDDEN'));
    expect(server.runs).toEqual([]);
    expect(socket.connected).toBe(true);
  });

  test('a clock past exp + skew before the timer fires: events refused with AUTH_EXPIRED, no handler', async () => {
    let clock = nowSec() * 1000;
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { now: () => clock }) } });
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write' }, clock / 1000))) } });
    await expect(h.ack(socket, 'chat:send', {})).resolves.toMatchObject({ ok: true });
    clock += 306_000; // exp is 300 s after iat, skew 5 s
    await expect(h.ack(socket, 'chat:send', {})).resolves.toEqual(denied('AUTH_EXPIRED'));
    await expect(h.ack(socket, 'whoami')).resolves.toEqual(denied('AUTH_EXPIRED'));
    expect(server.runs.map((run) => run.event)).toEqual(['chat:send']);
  });
});

describe.each(ADAPTERS)('%s: revocation, recovery and long-lived tokens', (_name, start) => {
  test('a socket restored by connection state recovery after its subject was revoked → AUTH_REVOKED, no missed packets', async () => {
    const server = await h.start(start, { io: RECOVERY });
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { iat: nowSec() - 5 })));
    const socket = h.client(server.url, { auth: (cb) => cb({ token }) });
    expect(await connectOutcome(socket)).toEqual({ connected: true });
    const received: unknown[] = [];
    socket.on('news', (text: unknown) => received.push(text));
    const first = nextEvent(socket, 'news');
    server.broadcast('/', 'news', 'before');
    await first;
    const firstId = socket.id!;
    const serverSocket = server.io.of('/').sockets.get(firstId)!;
    const gone = nextEvent(serverSocket, 'disconnect');
    socket.io.engine.close();
    expect(await gone).toBe('transport close');

    await server.sockAuth.revoke({ subject: 'alice' });
    server.broadcast('/', 'news', 'missed');
    socket.connect();
    const outcome = await connectOutcome(socket);
    expect(outcome.connected).toBe(false);
    expect(outcome.connected === false && outcome.error.data).toEqual(refusal('AUTH_REVOKED'));
    await quietPeriod(50);
    expect(received).toEqual(['before']);
    expect(server.connections).toHaveLength(1);
    expect(server.runs).toEqual([]);
    expect(server.sockAuth.size).toBe(0);
    expect(h.log.of('hook:onAuthFailure').map((text) => JSON.parse(text))).toContainEqual(
      expect.objectContaining({ code: 'AUTH_REVOKED', stage: 'recovery' }),
    );
  });

  test('a revoked ES256 token re-signed in high-s form (other bytes, same jti) → AUTH_REVOKED', async () => {
    const server = await h.start(start, {
      auth: { verifier: { algorithms: ['ES256'], publicKey: h.keys.ec.publicKey, issuer: SEC_ISSUER, audience: SEC_AUDIENCE } },
    });
    const token = h.secret(await signWith(h.keys.ec.privateKey, 'ES256', claimsFor('alice', { jti: 'es-1' })));
    const socket = await h.connect(server.url, { auth: { token } });
    const cut = nextEvent(socket, 'auth:error');
    const disconnected = nextEvent(socket, 'disconnect');
    await expect(server.sockAuth.revoke({ tokenId: 'es-1' })).resolves.toEqual({ disconnected: 1 });
    await expect(cut).resolves.toEqual({ ...refusal('AUTH_REVOKED'), message: expect.any(String) });
    await expect(disconnected).resolves.toBe('io server disconnect');

    const malleated = h.secret(highS(token));
    expect(malleated).not.toBe(token);
    expect(malleated.split('.').slice(0, 2)).toEqual(token.split('.').slice(0, 2));
    // A genuinely valid signature: revocation must not depend on the token's bytes.
    await expect(compactVerify(malleated, h.keys.ec.publicKey)).resolves.toBeDefined();
    const error = await h.refused(server.url, { auth: { token: malleated } });
    expect(error.data).toEqual(refusal('AUTH_REVOKED'));
    expect(server.connections).toHaveLength(1);
    expect(server.runs).toEqual([]);
  });

  test('exp 30 days out: no early timer (Node clamps delays over 24.8 days to 1 ms), the socket stays', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const server = await h.start(start);
      const token = h.secret(await signHs(h.keys, claimsFor('alice', { exp: nowSec() + 30 * 86_400 })));
      const socket = await h.connect(server.url, { auth: { token } });
      await quietPeriod(300);
      expect(socket.connected).toBe(true);
      await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ ok: true, subject: 'alice' });
      expect(h.log.of('client:event:auth:')).toEqual([]);
      expect(h.log.of('hook:onExpire')).toEqual([]);
      expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
