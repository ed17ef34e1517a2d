/**
 * Revocation over the wire: `revoke({ subject | sessionId | tokenId })` cuts exactly the matching live sockets
 * (`auth:error` AUTH_REVOKED, then a server disconnect), reports how many, and refuses matching handshakes and
 * re-auths afterwards. Revocations published by the store itself (as from another node) cut sockets too.
 */
import { MemoryRevocationStore, type RevocationSubject, type RevocationTarget } from '@sockauth/core';
import type { RefreshAck } from '@sockauth/socket.io';
import { closeAll, connectAs, waitForCut, type ClientSocket } from '@sockauth/testing';
import { installApp } from '../../../test/support/app';
import { deferred } from '../../../test/support/async';
import { nextEvent, record } from '../../../test/support/clients';
import { startServer } from '../../../test/support/servers';
import { mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

const REVOKED = { code: 'AUTH_REVOKED', action: 'login', message: expect.any(String) };

/** What a client sees when revoked: `auth:error` AUTH_REVOKED, then the server's disconnect. */
const CUT = { error: REVOKED, reason: 'io server disconnect' };

async function population() {
  const revoked: unknown[] = [];
  const store = new MemoryRevocationStore();
  const server = await startServer({ auth: { revocationStore: store, hooks: { onRevoke: (info) => revoked.push(info) } } });
  const log = installApp(server.io, server.auth);
  const iat = nowSec() - 5;
  const as = async (claims: Record<string, unknown>) => connectAs(server.url, await mint(claims, { iat }));
  const sockets = {
    aliceLaptop: await as({ sub: 'alice', sid: 'alice-laptop', jti: 'a1' }),
    alicePhone: await as({ sub: 'alice', sid: 'alice-phone', jti: 'a2' }),
    bob: await as({ sub: 'bob', sid: 'bob-1', jti: 'b1' }),
  };
  return { server, store, log, sockets, revoked, iat };
}

async function expectAlive(...sockets: ClientSocket[]): Promise<void> {
  for (const socket of sockets) {
    expect(socket.connected).toBe(true);
    expect((await socket.emitWithAck('whoami')).subject).toEqual(expect.any(String));
  }
}

test('revoke({ subject }) cuts every socket of that subject and only those', async () => {
  const { server, sockets, revoked } = await population();
  const ids = [sockets.aliceLaptop.id, sockets.alicePhone.id];

  expect(await server.auth.revoke({ subject: 'alice' })).toEqual({ disconnected: 2 });

  expect(await waitForCut(sockets.aliceLaptop)).toEqual(CUT);
  expect(await waitForCut(sockets.alicePhone)).toEqual(CUT);
  await expectAlive(sockets.bob);
  expect(server.auth.size).toBe(1);
  expect(revoked).toEqual(
    expect.arrayContaining(ids.map((socketId) => expect.objectContaining({ socketId, namespace: '/', subject: 'alice', kind: 'subject', revokedAt: expect.any(Number) }))),
  );
  expect(revoked).toHaveLength(2);
});

test('auth:error arrives before the disconnect', async () => {
  const server = await startServer();
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }));
  const log = record(socket);
  const disconnected = nextEvent(socket, 'disconnect');

  await server.auth.revoke({ subject: 'alice' });
  await disconnected;

  expect(log.map((entry) => entry.kind)).toEqual(['auth:error', 'disconnect']);
});

test('revoke({ sessionId }) cuts only the sockets of that session', async () => {
  const { server, sockets } = await population();

  expect(await server.auth.revoke({ sessionId: 'alice-phone' })).toEqual({ disconnected: 1 });

  expect(await waitForCut(sockets.alicePhone)).toEqual(CUT);
  await expectAlive(sockets.aliceLaptop, sockets.bob);
});

test('revoke({ tokenId }) cuts only the sockets using that token', async () => {
  const { server, sockets } = await population();

  expect(await server.auth.revoke({ tokenId: 'a1' })).toEqual({ disconnected: 1 });

  expect(await waitForCut(sockets.aliceLaptop)).toEqual(CUT);
  await expectAlive(sockets.alicePhone, sockets.bob);
});

test('a revocation that matches no live socket reports { disconnected: 0 } and cuts nothing', async () => {
  const { server, sockets } = await population();
  const cut = jest.fn();
  for (const socket of Object.values(sockets)) socket.on('auth:error', cut);

  expect(await server.auth.revoke({ subject: 'carol' })).toEqual({ disconnected: 0 });
  expect(await server.auth.revoke({ sessionId: 'nope' })).toEqual({ disconnected: 0 });
  expect(await server.auth.revoke({ tokenId: 'nope' })).toEqual({ disconnected: 0 });

  await expectAlive(...Object.values(sockets));
  expect(cut).not.toHaveBeenCalled();
});

test('matching handshakes are refused with AUTH_REVOKED afterwards; others are not', async () => {
  const { server, iat } = await population();
  await server.auth.revoke({ subject: 'alice' });
  await server.auth.revoke({ sessionId: 'bob-1' });
  await server.auth.revoke({ tokenId: 'c1' });

  for (const claims of [{ sub: 'alice' }, { sub: 'bob', sid: 'bob-1' }, { sub: 'carol', jti: 'c1' }]) {
    await expect(connectAs(server.url, await mint(claims, { iat }))).rejects.toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
  }
  await connectAs(server.url, await mint({ sub: 'bob', sid: 'bob-2' }, { iat }));
  await connectAs(server.url, await mint({ sub: 'carol', jti: 'c2' }, { iat }));
});

test('a subject revocation does not refuse tokens issued after it (the user may log in again)', async () => {
  const { server, sockets } = await population();
  await server.auth.revoke({ subject: 'alice' });
  await expect(sockets.aliceLaptop).toBeDisconnectedWith('AUTH_REVOKED');

  const later = await mint({ sub: 'alice', sid: 'alice-new' }, { iat: nowSec() + 2 });
  const socket = await connectAs(server.url, later);

  expect((await socket.emitWithAck('whoami')).subject).toBe('alice');
});

test('a subject revocation also refuses re-auth with an older token of that subject', async () => {
  const server = await startServer();
  installApp(server.io, server.auth);
  const old = await mint({ sub: 'alice' }, { iat: nowSec() - 30 });
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { iat: nowSec() + 2 }));
  await server.auth.revoke({ subject: 'alice' });

  // The socket's own token was issued after the revocation, so it stays; the old token is refused as revoked
  // (revocation is checked before the staleness rule).
  const ack: RefreshAck = await socket.emitWithAck('auth:refresh', { token: old });
  expect(ack).toEqual({ ok: false, error: REVOKED });
  expect(socket.connected).toBe(true);
  expect((await socket.emitWithAck('whoami')).version).toBe(1);
});

test('after a re-auth the socket is indexed under its new token id, not the old one', async () => {
  const server = await startServer();
  installApp(server.io, server.auth);
  const socket = await connectAs(server.url, await mint({ sub: 'alice', jti: 'old-jti' }));
  expect(await socket.emitWithAck('auth:refresh', { token: await mint({ sub: 'alice', jti: 'new-jti' }) })).toMatchObject({ ok: true });

  expect(await server.auth.revoke({ tokenId: 'old-jti' })).toEqual({ disconnected: 0 });
  expect((await socket.emitWithAck('whoami')).tokenId).toBe('new-jti');
  expect(await server.auth.revoke({ tokenId: 'new-jti' })).toEqual({ disconnected: 1 });
  expect(await waitForCut(socket)).toEqual(CUT);
});

test('a revocation published by the store itself (as from another node) cuts matching sockets', async () => {
  const { store, sockets, revoked } = await population();

  await store.revokeSubject('bob');
  expect(await waitForCut(sockets.bob)).toEqual(CUT);

  await store.revokeSession('alice-laptop');
  expect(await waitForCut(sockets.aliceLaptop)).toEqual(CUT);

  await expectAlive(sockets.alicePhone);
  expect(revoked.map((info) => (info as { kind: string }).kind)).toEqual(['subject', 'session']);
});

test('a store revocation with an explicit since older than a token does not cut it', async () => {
  const { store, sockets, iat } = await population();
  const cut = jest.fn();
  sockets.bob.on('auth:error', cut);

  await store.revokeSubject('bob', (iat - 60) * 1000);
  // Sockets are cut synchronously by the store listener; the whoami round trip below is the barrier.

  await expectAlive(sockets.bob);
  expect(cut).not.toHaveBeenCalled();
});

test('events of a revoked socket are never handled, even those already sent', async () => {
  const { server, log, sockets } = await population();
  const before = log.count();

  sockets.alicePhone.emit('whoami', () => undefined);
  const revoking = server.auth.revoke({ subject: 'alice' });
  sockets.alicePhone.emit('whoami', () => undefined);
  await revoking;
  await expect(sockets.alicePhone).toBeDisconnectedWith('AUTH_REVOKED');

  // At most the event that reached the server before the revocation was handled, and always with a context.
  const handled = log.runs.slice(before);
  expect(handled.length).toBeLessThanOrEqual(1);
  expect(handled.every((run) => run.context?.subject === 'alice')).toBe(true);
});

test.each<[string, unknown]>([
  ['an empty object', {}],
  ['null', null],
  ['two targets', { subject: 'alice', tokenId: 'a1' }],
  ['an empty subject', { subject: '' }],
  ['a numeric session id', { sessionId: 42 }],
  ['an unknown key', { user: 'alice' }],
])('revoke() with %s rejects with TypeError and cuts nothing', async (_name, target) => {
  const { server, sockets } = await population();

  await expect(server.auth.revoke(target as RevocationTarget)).rejects.toThrow(TypeError);

  await expectAlive(...Object.values(sockets));
  expect(server.auth.size).toBe(3);
});

describe('revocations racing a handshake', () => {
  /**
   * A store that computes its answer, then delays the reply until released: like a remote store whose reply
   * is still in flight when a revocation is published.
   */
  class SlowReplyStore extends MemoryRevocationStore {
    readonly answered = deferred();
    readonly #reply = deferred();
    #slow = true;

    release(): void {
      this.#slow = false;
      this.#reply.resolve();
    }

    override async isRevoked(token: RevocationSubject): Promise<boolean> {
      const answer = await super.isRevoked(token);
      if (this.#slow) {
        this.answered.resolve();
        await this.#reply.promise;
      }
      return answer;
    }
  }

  test('a revocation published while a matching handshake is being verified refuses or cuts that socket', async () => {
    const store = new SlowReplyStore();
    const server = await startServer({ auth: { revocationStore: store } });
    const log = installApp(server.io, server.auth);
    const outcome = connectAs(server.url, await mint({ sub: 'alice' }, { iat: nowSec() - 5 })).then(
      (socket) => ({ connected: true as const, socket }),
      (error: unknown) => ({ connected: false as const, error }),
    );

    await store.answered.promise;
    await server.auth.revoke({ subject: 'alice' });
    store.release();

    const result = await outcome;
    // The kit records auth:error from the start, so waitForCut also sees a cut that came right after connecting.
    if (result.connected) expect(await waitForCut(result.socket)).toEqual(CUT);
    else expect(result.error).toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
    expect(log.count()).toBe(0);
    expect(server.auth.size).toBe(0);
  }, 5000);

  test('a revocation published between the middleware and the connection event cuts the socket once connected', async () => {
    const server = await startServer();
    const log = installApp(server.io, server.auth);
    const connectedOnServer = jest.fn();
    // A later middleware that waits a little: the socket is authenticated but not connected yet meanwhile.
    const inGap = deferred();
    const leaveGap = deferred();
    server.io.use((_socket, next) => {
      inGap.resolve();
      void leaveGap.promise.then(() => next());
    });
    server.io.on('connection', connectedOnServer);
    const connecting = connectAs(server.url, await mint({ sub: 'alice' }, { iat: nowSec() - 5 }));

    await inGap.promise;
    const revoked = server.auth.revoke({ subject: 'alice' });
    leaveGap.resolve();

    expect(await waitForCut(await connecting)).toEqual(CUT);
    expect(await revoked).toEqual({ disconnected: 1 });
    expect(log.count()).toBe(0);
    expect(server.auth.size).toBe(0);
  }, 5000);
});
