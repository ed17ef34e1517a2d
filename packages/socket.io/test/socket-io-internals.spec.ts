/**
 * Feature test of the one seam to Socket.IO's private members: each operation on real servers and clients, and the
 * start-up check failing loudly on an object missing each member. `test/packaging/socket-io-versions.spec.ts` runs
 * this file on the lowest and the newest socket.io the peer range accepts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Namespace, Server, Socket, type ServerOptions } from 'socket.io';
import { client, connect, connectOutcome, nextEvent, refused } from '../../../test/support/clients.js';
import { closeAfterTest, closeAll } from '@sockauth/testing';
import { installApp } from '../../../test/support/app.js';
import { startServer } from '../../../test/support/servers.js';
import { mint } from '../../../test/support/tokens.js';
import {
  assertSupportedInternals,
  discardSocket,
  engineQueryOf,
  guardRoomJoins,
  interceptRecovery,
  isChildNamespace,
  isRoomGuarded,
  isSocketIdRoom,
  namespacesOf,
  onSocketRemoved,
  prependMiddleware,
  recoveryOptionsOf,
  refuseSocket,
  sendEventPacket,
  sessionIdOf,
  socketIoVersion,
  UnsupportedInternalsError,
  useOnlyPacketMiddleware,
} from '../src/socket-io-internals.js';

afterEach(closeAll);

/** A bare Socket.IO server (no sockauth) on an ephemeral loopback port. */
async function bareServer(options: Partial<ServerOptions> = {}): Promise<{ io: Server; url: string }> {
  const http = createServer();
  const io = new Server(http, options);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', () => resolve()));
  closeAfterTest(() => io.close());
  return { io, url: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** The server-side socket of the next connection on `nsp`. */
function nextConnection(nsp: Namespace): Promise<Socket> {
  return new Promise((resolve) => nsp.once('connection', resolve));
}

/** Runs `fn` with `member` of `target` replaced by `value`, restoring it after. */
function withMember(target: object, member: string, value: unknown, fn: () => void): void {
  const own = Object.getOwnPropertyDescriptor(target, member);
  Object.defineProperty(target, member, { value, configurable: true, writable: true });
  try {
    fn();
  } finally {
    if (own === undefined) delete (target as Record<string, unknown>)[member];
    else Object.defineProperty(target, member, own);
  }
}

/** The member named by the UnsupportedInternalsError `fn` throws. */
function refusedMember(fn: () => void): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedInternalsError);
    expect((error as UnsupportedInternalsError).socketIoVersion).toMatch(/^\d+\.\d+\.\d+|\(version unknown\)$/);
    return (error as UnsupportedInternalsError).member;
  }
  throw new Error('expected assertSupportedInternals to throw');
}

describe('namespaces', () => {
  test('namespacesOf lists every namespace; isChildNamespace tells a regex child from a static one', async () => {
    const { io, url } = await bareServer();
    io.of('/admin');
    io.of(/^\/org-\d+$/);
    await connect(`${url}/org-7`);

    const byName = new Map([...namespacesOf(io)].map((nsp) => [nsp.name, nsp]));
    expect([...byName.keys()].sort()).toEqual(['/', '/admin', '/org-7']);
    expect(isChildNamespace(byName.get('/org-7')!)).toBe(true);
    expect(isChildNamespace(byName.get('/admin')!)).toBe(false);
    expect(isChildNamespace(io.sockets)).toBe(false);
  });

  test('prependMiddleware runs first on a child of a regex namespace, before the parent middlewares copied into it', async () => {
    const { io, url } = await bareServer();
    const order: string[] = [];
    io.of(/^\/org-\d+$/).use((_socket, next) => {
      order.push('app');
      next();
    });
    io.on('new_namespace', (nsp: Namespace) =>
      prependMiddleware(nsp, (_socket, next) => {
        order.push('first');
        next();
      }),
    );

    await connect(`${url}/org-1`);

    expect(order).toEqual(['first', 'app']);
  });

  test('onSocketRemoved fires for a socket a later middleware refused, which never connected', async () => {
    const { io, url } = await bareServer();
    const removed: Socket[] = [];
    let seen: Socket | undefined;
    onSocketRemoved(io.sockets, (socket) => removed.push(socket));
    io.use((socket, next) => {
      seen = socket;
      next(Object.assign(new Error('refused'), { data: { code: 'AUTH_FORBIDDEN' } }));
    });

    expect((await refused(url)).data?.code).toBe('AUTH_FORBIDDEN');

    expect(removed).toEqual([seen]);
    expect(seen!.connected).toBe(false);
  });
});

describe('connection state recovery', () => {
  test('recoveryOptionsOf and sessionIdOf read the server options and the private session id', async () => {
    const recovering = await bareServer({ connectionStateRecovery: { maxDisconnectionDuration: 5_000 } });
    const plain = await bareServer();
    const [withPid, withoutPid] = await Promise.all([
      Promise.all([nextConnection(recovering.io.sockets), connect(recovering.url)]).then(([socket]) => socket),
      Promise.all([nextConnection(plain.io.sockets), connect(plain.url)]).then(([socket]) => socket),
    ]);

    expect(recoveryOptionsOf(recovering.io)?.maxDisconnectionDuration).toBe(5_000);
    expect(recoveryOptionsOf(plain.io)).toBeUndefined();
    expect(typeof sessionIdOf(withPid)).toBe('string');
    expect(sessionIdOf(withoutPid)).toBeUndefined();
  });

  test('interceptRecovery wraps socket creation and connection, even with skipMiddlewares; refuseSocket and discardSocket refuse like a middleware', async () => {
    const { io, url } = await bareServer({ connectionStateRecovery: { skipMiddlewares: true } });
    const created: unknown[] = [];
    const removed: Socket[] = [];
    onSocketRemoved(io.sockets, (socket) => removed.push(socket));
    interceptRecovery(io.sockets, {
      createSocket: (original) => async (clientConn, auth) => {
        created.push(auth);
        return original(clientConn, auth);
      },
      doConnect: (original) => (socket, fn) => {
        if (socket.handshake.auth['let'] === true) return original(socket, fn);
        discardSocket(socket);
        refuseSocket(socket, { message: 'refused', data: { code: 'AUTH_REVOKED', action: 'login' } });
      },
    });

    await connect(url, { auth: { let: true } });
    const error = await refused(url, { auth: { let: false } });

    expect(error.data).toEqual({ code: 'AUTH_REVOKED', action: 'login' });
    expect(created).toEqual([{ let: true }, { let: false }]);
    expect(removed).toHaveLength(1);
    expect(io.sockets.sockets.size).toBe(1);
  });

  test('sendEventPacket writes an event packet to the client', async () => {
    const { io, url } = await bareServer();
    const connection = nextConnection(io.sockets);
    const socket = client(url);
    sendEventPacket(await connection, ['held', 1, { two: 2 }]);

    expect(await new Promise((resolve) => socket.once('held', (...args: unknown[]) => resolve(args)))).toEqual([1, { two: 2 }]);
  });
});

describe('rooms', () => {
  test('guardRoomJoins sees every join (socket.join, a middleware’s join, socketsJoin) and leaves refused rooms out', async () => {
    const { io, url } = await bareServer();
    const asked: [string | undefined, string][] = [];
    const refusedRooms: [string | undefined, string][] = [];
    guardRoomJoins(
      io.sockets,
      (socket, room) => {
        asked.push([socket?.id, room]);
        return !room.startsWith('no-');
      },
      (socket, room) => refusedRooms.push([socket?.id, room]),
    );
    expect(isRoomGuarded(io.sockets)).toBe(true);
    // A middleware's join: the socket is not connected yet, but known.
    io.use((socket, next) => {
      void socket.join(['mw-yes', 'no-mw']);
      next();
    });
    const connection = nextConnection(io.sockets);
    await connect(url);
    const socket = await connection;
    void socket.join(['yes', 'no-plain']);
    io.in(socket.id).socketsJoin(['server-yes', 'no-server']);

    expect([...socket.rooms].sort()).toEqual([socket.id, 'mw-yes', 'server-yes', 'yes'].sort());
    expect(refusedRooms).toEqual([
      [socket.id, 'no-mw'],
      [socket.id, 'no-plain'],
      [socket.id, 'no-server'],
    ]);
    // The own-id room is never asked: always admitted.
    expect(asked.some(([, room]) => room === socket.id)).toBe(false);
  });

  test('a replaced adapter (io.adapter(...)) is no longer guarded: isRoomGuarded tells, so the caller guards it again', async () => {
    const { io } = await bareServer();
    guardRoomJoins(io.sockets, () => false, () => undefined);
    const { Adapter } = await import('socket.io-adapter');
    io.adapter(Adapter);
    expect(isRoomGuarded(io.sockets)).toBe(false);
  });

  test('isSocketIdRoom: the own-id room of a connected socket, and of one still in its middlewares', async () => {
    const { io, url } = await bareServer();
    let pendingId: string | undefined;
    let inMiddleware = false;
    io.use((socket, next) => {
      pendingId = socket.id;
      inMiddleware = isSocketIdRoom(io.sockets, socket.id);
      next();
    });
    const connection = nextConnection(io.sockets);
    await connect(url);
    const socket = await connection;
    expect(inMiddleware).toBe(true);
    expect(isSocketIdRoom(io.sockets, socket.id)).toBe(true);
    expect(pendingId).toBe(socket.id);
    expect(isSocketIdRoom(io.sockets, 'general')).toBe(false);
  });
});

describe('sockets and connections', () => {
  test('useOnlyPacketMiddleware runs the check for every event, then the handler', async () => {
    const { io, url } = await bareServer();
    const order: unknown[] = [];
    const supported: boolean[] = [];
    io.on('connection', (socket) => {
      if (order.length > 0) (socket as unknown as { fns: unknown }).fns = new MiddlewareList();
      supported.push(useOnlyPacketMiddleware(socket, (packet, next) => {
        order.push(packet[0]);
        if (packet[0] === 'denied') return next(new Error('denied'));
        next();
      }));
      socket.on('error', () => order.push('error'));
      socket.on('allowed', (ack: (value: string) => void) => {
        order.push('handler');
        ack('ok');
      });
    });
    const socket = await connect(url);
    socket.emit('denied');

    expect(await socket.emitWithAck('allowed')).toBe('ok');
    // Socket.IO emits a refused packet's 'error' on the next tick.
    expect(order.filter((step) => step !== 'error')).toEqual(['denied', 'allowed', 'handler']);
    expect(order).toContain('error');
    // A socket whose middleware list is not an array: the check still runs, and the caller is told.
    expect(await (await connect(url)).emitWithAck('allowed')).toBe('ok');
    expect(supported).toEqual([true, false]);
    expect(order.slice(-2)).toEqual(['allowed', 'handler']);
  });

  test('engineQueryOf is the query object the handshake shares', async () => {
    const { io, url } = await bareServer();
    const connection = nextConnection(io.sockets);
    client(url, { query: { room: 'a' } });
    const socket = await connection;

    const query = engineQueryOf(socket.request as unknown as { _query?: Record<string, unknown> });
    expect(query).toBe(socket.handshake.query);
    expect(query?.['room']).toBe('a');
  });
});

describe('assertSupportedInternals', () => {
  test('runs on the socket.io the versions test installed, when it did', () => {
    const expected = process.env['SOCKAUTH_EXPECT_SOCKET_IO_VERSION'];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { version } = require('socket.io/package.json') as { version: string };
    if (expected !== undefined) expect(version).toBe(expected);
  });

  test('accepts this socket.io and names its version', async () => {
    const { io } = await bareServer();
    io.of(/^\/org-\d+$/);

    expect(() => assertSupportedInternals(io)).not.toThrow();
    expect(socketIoVersion(io)).toMatch(/^\d+\.\d+\.\d+|\(version unknown\)$/);
  });

  test.each([
    ['Server#_nsps', (io: Server) => io, '_nsps', undefined],
    ['Server#parentNsps', (io: Server) => io, 'parentNsps', {}],
    ['Server#opts', (io: Server) => io, 'opts', undefined],
    ['ParentNamespace#children', (io: Server) => io.of(/^\/org-\d+$/), 'children', []],
    ['Namespace#_fns', (io: Server) => io.sockets, '_fns', { length: 0 }],
    ['Namespace#_remove', (io: Server) => io.of('/admin'), '_remove', undefined],
    ['Namespace#_createSocket', (io: Server) => io.sockets, '_createSocket', undefined],
    ['Namespace#_doConnect', (io: Server) => io.sockets, '_doConnect', null],
    ['Namespace#_preConnectSockets', (io: Server) => io.sockets, '_preConnectSockets', {}],
    ['Namespace#adapter.addAll', (io: Server) => io.sockets.adapter, 'addAll', undefined],
  ])('throws naming %s when it is missing or of another shape', async (member, targetOf, key, value) => {
    const { io } = await bareServer();

    withMember(targetOf(io), key, value, () => expect(refusedMember(() => assertSupportedInternals(io))).toBe(member));
  });

  test.each(['_cleanup', '_error', 'packet'])('throws naming Socket#%s when the Socket class lacks it', async (method) => {
    const { io } = await bareServer();

    withMember(Socket.prototype, method, undefined, () => expect(refusedMember(() => assertSupportedInternals(io))).toBe(`Socket#${method}`));
  });
});

/**
 * A socket.io whose namespaces keep their middlewares in something other than an array (what a future version could
 * do): every namespace, children of regex namespaces included, gets a list socket.io itself can still run.
 */
class MiddlewareList {
  readonly #fns: unknown[];
  constructor(fns: unknown[] = []) {
    this.#fns = [...fns];
  }
  get length(): number {
    return this.#fns.length;
  }
  push(fn: unknown): number {
    return this.#fns.push(fn);
  }
  slice(): unknown[] {
    return this.#fns.slice();
  }
  forEach(fn: (value: unknown) => void): void {
    this.#fns.forEach(fn);
  }
}

test('over the wire: on a socket.io whose middlewares are not an array, attach refuses, and no app middleware of a regex child ever sees an unauthenticated handshake', async () => {
  const proto = Namespace.prototype as unknown as object;
  Object.defineProperty(proto, '_fns', {
    configurable: true,
    set(this: object, fns: unknown[]) {
      Object.defineProperty(this, '_fns', { value: new MiddlewareList(fns), configurable: true, writable: true });
    },
  });
  try {
    const seenByApp: unknown[] = [];
    let refusal: unknown;
    // The app's start-up: register its middleware, attach sockauth, listen. An exception stops the start-up.
    const server = await startServer({
      attach: false,
      setup: (io, auth) => {
        io.of(/^\/org-\d+$/).use((socket, next) => {
          seenByApp.push(socket.handshake.auth['token'] ?? 'no token');
          next();
        });
        try {
          auth.attach(io);
        } catch (error) {
          refusal = error;
        }
      },
    });
    const started = refusal === undefined;
    if (started) {
      await connectOutcome(client(`${server.url}/org-1`));
      await connect(`${server.url}/org-2`, { auth: { token: await mint({ sub: 'alice' }) } });
    }

    expect(seenByApp).not.toContain('no token');
    expect(refusal).toBeInstanceOf(UnsupportedInternalsError);
    expect((refusal as UnsupportedInternalsError).member).toBe('Namespace#_fns');
  } finally {
    delete (proto as Record<string, unknown>)['_fns'];
  }
});

test('over the wire: a socket whose packet-middleware list is not an array is still checked, and sockauth warns once', async () => {
  const warnings: object[] = [];
  const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (record: object) => warnings.push(record) };
  const server = await startServer({
    auth: { logger, events: { whoami: null } },
    beforeAttach: (io) => io.use((socket, next) => {
      (socket as unknown as { fns: unknown }).fns = new MiddlewareList();
      next();
    }),
  });
  installApp(server.io, server.auth);
  const token = await mint({ sub: 'alice' });

  for (const socket of [await connect(server.url, { auth: { token } }), await connect(server.url, { auth: { token } })]) {
    expect((await socket.emitWithAck('whoami')).subject).toBe('alice');
    expect((await socket.timeout(5_000).emitWithAck('unlisted')).error.code).toBe('AUTH_FORBIDDEN');
  }

  expect(warnings).toEqual([expect.objectContaining({ sockauth: 'internals-unsupported', member: 'Socket#fns' })]);
});
