/**
 * Holes in the Socket.IO adapter, over the wire (issue #13 items 2, 4, 13, 14): a session restored by connection
 * state recovery for another identity, app middleware running before sockauth on dynamic namespaces, unbounded
 * authenticated sockets on one Engine.IO connection, and a query token left in `socket.request`.
 */
import type { Socket } from 'socket.io';
import { ADAPTERS } from '../support/adapters';
import { quietPeriod } from '../support/async';
import { connectOutcome, nextEvent } from '../support/clients';
import { claimsFor, hsVerifier, signHs } from '../support/hostile-tokens';
import { startServer, type StartServerOptions, type TestIo, type TestServer } from '../support/servers';
import { refusal, useHarness } from './harness';

const h = useHarness();

/** A Socket.IO server with the suite's verifier, hooks and logger. */
function startSecurityServer(options: StartServerOptions = {}): Promise<TestServer> {
  return startServer({ ...options, auth: { verifier: hsVerifier(h.keys), hooks: h.log.hooks(), logger: h.log.logger(), ...options.auth } });
}

function recovery(skipMiddlewares: boolean) {
  return { connectionStateRecovery: { maxDisconnectionDuration: 10_000, skipMiddlewares } };
}

describe.each(ADAPTERS)('%s: connection state recovery by another identity', (_name, start) => {
  test.each([true, false])(
    "skipMiddlewares: %s → AUTH_IDENTITY_MISMATCH: none of alice's rooms, missed packets or data; the retry starts afresh",
    async (skipMiddlewares) => {
      const server = await h.start(start, { io: recovery(skipMiddlewares) });
      const tokens = { current: h.secret(await signHs(h.keys, claimsFor('alice', { sid: 'alice-session' }))) };
      const bob = h.secret(await signHs(h.keys, claimsFor('bob')));
      // One client switching accounts: socket.io-client resends the previous session's pid and offset.
      const socket = h.client(server.url, { auth: (cb) => cb({ token: tokens.current }) });
      expect(await connectOutcome(socket)).toEqual({ connected: true });
      const aliceId = socket.id!;
      const aliceSocket = server.io.of('/').sockets.get(aliceId)!;
      aliceSocket.data.secretNote = 'alice only';
      await aliceSocket.join('alice-room');
      const received: unknown[] = [];
      socket.on('news', (text: unknown) => received.push(text));
      const first = nextEvent(socket, 'news');
      server.broadcast('/', 'news', 'before');
      await first;
      const gone = nextEvent(aliceSocket, 'disconnect');
      socket.io.engine.close();
      expect(await gone).toBe('transport close');
      server.broadcast('/', 'news', 'missed');
      const connectionsBefore = server.connections.length;

      tokens.current = bob;
      socket.connect();
      const outcome = await connectOutcome(socket);

      expect(outcome.connected === false && outcome.error.data).toEqual(refusal('AUTH_IDENTITY_MISMATCH'));
      expect(server.connections).toHaveLength(connectionsBefore);
      expect(server.sockAuth.size).toBe(0);
      expect(server.io.of('/').adapter.rooms.get('alice-room')).toBeUndefined();

      // The app retries with bob's token (the client still sends alice's pid): a fresh session, nothing of alice's.
      socket.connect();
      expect(await connectOutcome(socket)).toEqual({ connected: true });
      expect(socket.recovered).toBe(false);
      expect(socket.id).not.toBe(aliceId);
      const bobSocket = server.io.of('/').sockets.get(socket.id!)!;
      expect(bobSocket.recovered).toBe(false);
      expect(bobSocket.rooms.has('alice-room')).toBe(false);
      expect(bobSocket.data.secretNote).toBeUndefined();
      expect(server.sockAuth.contextOf(bobSocket)?.subject).toBe('bob');
      await quietPeriod(50);
      expect(received).toEqual(['before']);
    },
  );
});

describe('socket.io: dynamic (parent) namespaces run sockauth before the application\'s middleware', () => {
  const ORGS = /^\/org-\d+$/;

  test.each(['after', 'before'] as const)('app middleware registered %s sockAuth(io)', async (when) => {
    const seen: { token: unknown; subject: string | undefined }[] = [];
    const appMiddleware = (socket: Socket, next: (err?: Error) => void): void => {
      seen.push({ token: socket.handshake.auth['token'], subject: socket.data.auth?.subject });
      next();
    };
    const register = (io: TestIo): void => void io.of(ORGS).use(appMiddleware);
    const server = await startSecurityServer(when === 'before' ? { beforeAttach: register } : { setup: register });
    const forged = h.secret(await signHs(h.keys, claimsFor('mallory'), { secret: h.keys.attackerSecret }));
    const alice = h.secret(await signHs(h.keys, claimsFor('alice')));

    expect((await h.refused(`${server.url}/org-1`)).data).toEqual(refusal('AUTH_MISSING'));
    expect((await h.refused(`${server.url}/org-1`, { auth: { token: forged } })).data).toEqual(refusal('AUTH_INVALID'));
    expect((await h.refused(`${server.url}/org-2`, { auth: { token: forged } })).data).toEqual(refusal('AUTH_INVALID'));
    // Refused handshakes never reached the application's middleware.
    expect(seen).toEqual([]);

    await h.connect(`${server.url}/org-1`, { auth: { token: alice } });
    await h.connect(`${server.url}/org-3`, { auth: { token: alice } });
    // It ran after sockauth: an authenticated socket, and never the raw token.
    expect(seen).toEqual([
      { token: '[redacted]', subject: 'alice' },
      { token: '[redacted]', subject: 'alice' },
    ]);
  });
});

