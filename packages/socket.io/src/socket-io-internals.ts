import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Socket as SocketClass, type Namespace, type Server, type Socket } from 'socket.io';

/**
 * The one place where the Socket.IO adapter touches private members of Socket.IO and Engine.IO objects. Every
 * other file calls the named operations below. `assertSupportedInternals` runs at `attach()` and refuses to attach
 * (throws) when a member the adapter's security relies on is missing or changed shape: a silent fallback there would
 * reopen a hole (an application middleware running before sockauth on a child namespace, a recovered socket
 * connected without verification). The one fallback is {@link useOnlyPacketMiddleware}'s: a memory optimisation whose
 * fallback (`socket.use`) behaves the same; it reports an unexpected shape so that the caller can say so once.
 *
 * Written against socket.io 4.8 (engine.io 6.6); `test/packaging/socket-io-versions.spec.ts` runs the feature
 * test of this file on the lowest and the newest socket.io the peer range accepts.
 */

/** socket.io-parser `PacketType.EVENT`. */
const EVENT_PACKET = 2;

interface ServerInternals {
  /** Every namespace, by name. */
  _nsps?: unknown;
  /** Parent (regex or function) namespaces, by matcher. */
  parentNsps?: unknown;
  /** The server's options (`connectionStateRecovery` among them). */
  opts?: unknown;
}
interface ParentNamespaceInternals {
  /** The namespaces created from this parent. */
  children?: unknown;
}
interface NamespaceInternals {
  /** The namespace's middlewares, in the order they run. */
  _fns?: unknown;
  /** Called by `socket._cleanup()`: a refused socket, one whose client left before it connected, or a disconnect. */
  _remove?: unknown;
  /** Creates a socket (restoring a session when the client offers a `pid`), before any middleware runs. */
  _createSocket?: unknown;
  /** Connects a socket once its middlewares (or, with `skipMiddlewares`, none) accepted it. */
  _doConnect?: unknown;
  /** Sockets created and not yet connected (in the middlewares), by id. */
  _preConnectSockets?: unknown;
}
interface AdapterInternals {
  /** Every `socket.join()` (and server-side `socketsJoin`) ends here: `addAll(socketId, rooms)`. */
  addAll?: unknown;
}
interface SocketInternals {
  /** The socket's packet middlewares (`socket.use`). */
  fns?: unknown;
  /** The private session id restored by connection state recovery. */
  pid?: unknown;
  _cleanup?: unknown;
  _error?: unknown;
  packet?: unknown;
}

/** The `connectionStateRecovery` options of a server that restores sessions. */
export interface RecoveryOptions {
  readonly maxDisconnectionDuration?: number;
  readonly skipMiddlewares?: boolean;
}

/** A namespace's socket creation step: `auth` is the client's handshake auth (`pid` when it offers a session). */
export type CreateSocket = (client: unknown, auth: Record<string, unknown>) => Promise<Socket>;
/** A namespace's connect step. */
export type DoConnect = (socket: Socket, fn?: unknown) => void;

/** Replaces a namespace's socket creation and connect steps (connection state recovery), given the originals. */
export interface RecoveryInterception {
  createSocket(original: CreateSocket): CreateSocket;
  doConnect(original: DoConnect): DoConnect;
}

/**
 * Thrown by `attach()` when the socket.io in use lacks a private member sockauth's guarantees rely on: `member`
 * names it (`Namespace#_fns`), `socketIoVersion` the version found.
 */
export class UnsupportedInternalsError extends Error {
  override readonly name = 'UnsupportedInternalsError';
  readonly member: string;
  readonly socketIoVersion: string;

  constructor(member: string, expected: string, socketIoVersion: string) {
    super(
      `sockauth: socket.io ${socketIoVersion} is not supported: ${member} is not ${expected}. sockauth relies on this ` +
        'private member for its guarantees and refuses to attach rather than run without them (supported: the ' +
        'socket.io versions of the peer range of @sockauth/socket.io).',
    );
    this.member = member;
    this.socketIoVersion = socketIoVersion;
  }
}

/**
 * Checks every private member the adapter relies on, on `io`, its namespaces and Socket.IO's `Socket` class, and
 * throws an {@link UnsupportedInternalsError} naming the socket.io version and the member when one is missing or not
 * of the expected shape.
 */
export function assertSupportedInternals(io: Server): void {
  const missing = (member: string, expected: string): Error => new UnsupportedInternalsError(member, expected, socketIoVersion(io));
  const server = io as unknown as ServerInternals;
  if (!(server._nsps instanceof Map)) throw missing('Server#_nsps', 'a Map');
  if (!(server.parentNsps instanceof Map)) throw missing('Server#parentNsps', 'a Map');
  for (const parent of server.parentNsps.values()) {
    if (!((parent as ParentNamespaceInternals).children instanceof Set)) throw missing('ParentNamespace#children', 'a Set');
  }
  if (typeof server.opts !== 'object' || server.opts === null) throw missing('Server#opts', 'an object');
  for (const nsp of server._nsps.values()) assertNamespace(nsp as Namespace, missing);
  const proto = SocketClass.prototype as unknown as SocketInternals;
  for (const method of ['_cleanup', '_error', 'packet'] as const) {
    if (typeof proto[method] !== 'function') throw missing(`Socket#${method}`, 'a function');
  }
}

function assertNamespace(nsp: Namespace, missing: (member: string, expected: string) => Error): void {
  const internals = nsp as unknown as NamespaceInternals;
  if (!Array.isArray(internals._fns)) throw missing('Namespace#_fns', 'an array');
  for (const method of ['_remove', '_createSocket', '_doConnect'] as const) {
    if (typeof internals[method] !== 'function') throw missing(`Namespace#${method}`, 'a function');
  }
  if (!(internals._preConnectSockets instanceof Map)) throw missing('Namespace#_preConnectSockets', 'a Map');
  if (typeof (nsp.adapter as unknown as AdapterInternals | undefined)?.addAll !== 'function') {
    throw missing('Namespace#adapter.addAll', 'a function');
  }
}

/**
 * The version of the socket.io package `io` was made by: the copy whose `Server` class built it (found in Node's
 * module cache, which ESM imports of socket.io's CJS build fill too), else the one resolved from the working
 * directory, else `(version unknown)`.
 */
export function socketIoVersion(io: Server): string {
  try {
    const require = createRequire(join(process.cwd(), 'noop.js'));
    for (const [file, loaded] of Object.entries(require.cache)) {
      if (!/[\\/]socket\.io[\\/]dist[\\/]index\.js$/.test(file)) continue;
      const exported = loaded?.exports as { Server?: unknown } | undefined;
      if (typeof exported?.Server === 'function' && io instanceof (exported.Server as new () => object)) {
        return readVersion(join(dirname(file), '..', 'package.json'));
      }
    }
    return readVersion(require.resolve('socket.io/package.json'));
  } catch {
    return '(version unknown)';
  }
}

function readVersion(file: string): string {
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  return typeof version === 'string' ? version : '(version unknown)';
}

/** Every namespace of `io` that exists now (`io.of()` offers no public list). */
export function namespacesOf(io: Server): Iterable<Namespace> {
  return ((io as unknown as ServerInternals)._nsps as Map<string, Namespace>).values();
}

/**
 * Calls `install` for every namespace of `io`, existing ones now and future ones (dynamic children included) as
 * Socket.IO creates them: the one way framework integrations enumerate namespaces (Socket.IO lists them only in a
 * private map).
 *
 * @example
 * ```ts
 * onEveryNamespace(io, (nsp) => nsp.use(myMiddleware));
 * ```
 */
export function onEveryNamespace(io: Server, install: (nsp: Namespace) => void): void {
  for (const nsp of namespacesOf(io)) install(nsp);
  io.on('new_namespace', install);
}

/** True when `nsp` is a child of one of its server's parent (regex or function) namespaces. */
export function isChildNamespace(nsp: Namespace): boolean {
  const parents = (nsp.server as unknown as ServerInternals).parentNsps as Map<unknown, ParentNamespaceInternals>;
  for (const parent of parents.values()) if ((parent.children as Set<Namespace>).has(nsp)) return true;
  return false;
}

/**
 * Installs `middleware` to run before every middleware `nsp` already has (`nsp.use` appends). A child of a parent
 * namespace is created with its parent's middlewares copied in, application ones included.
 */
export function prependMiddleware(nsp: Namespace, middleware: (socket: Socket, next: (err?: Error) => void) => void): void {
  ((nsp as unknown as NamespaceInternals)._fns as unknown[]).unshift(middleware);
}

/**
 * Calls `onRemoved` each time Socket.IO forgets a socket of `nsp`: refused by a middleware, its client gone before it
 * connected, or disconnected. Socket.IO emits no event for the first two.
 */
export function onSocketRemoved(nsp: Namespace, onRemoved: (socket: Socket) => void): void {
  const internals = nsp as unknown as NamespaceInternals;
  const remove = internals._remove as (this: Namespace, socket: Socket) => void;
  internals._remove = function (this: Namespace, socket: Socket): void {
    remove.call(this, socket);
    onRemoved(socket);
  };
}

/** Wraps `nsp`'s socket creation and connect steps, where connection state recovery restores a socket. */
export function interceptRecovery(nsp: Namespace, interception: RecoveryInterception): void {
  const internals = nsp as unknown as NamespaceInternals;
  internals._createSocket = interception.createSocket((internals._createSocket as CreateSocket).bind(nsp));
  internals._doConnect = interception.doConnect((internals._doConnect as DoConnect).bind(nsp));
}

/** The server's `connectionStateRecovery` options, when it restores sessions. */
export function recoveryOptionsOf(server: Server): RecoveryOptions | undefined {
  const opts = (server as unknown as ServerInternals).opts as { connectionStateRecovery?: RecoveryOptions } | undefined;
  return opts?.connectionStateRecovery || undefined;
}

/**
 * The private session id of `socket` (set when the server restores sessions). Undefined when absent: its only use is
 * to not offer again a session refused for another identity, and the refusal itself does not depend on it.
 */
export function sessionIdOf(socket: Socket): string | undefined {
  const pid = (socket as unknown as SocketInternals).pid;
  return typeof pid === 'string' ? pid : undefined;
}

/** Writes an event packet to `socket` (a missed packet held back until a recovered socket is accepted). */
export function sendEventPacket(socket: Socket, data: unknown): void {
  (socket as unknown as { packet(packet: { type: number; data: unknown }): void }).packet({ type: EVENT_PACKET, data });
}

/** Forgets a socket that never connected (`socket._cleanup()`: leaves the namespace's pending sockets). */
export function discardSocket(socket: Socket): void {
  (socket as unknown as { _cleanup(): void })._cleanup();
}

/** Sends a `connect_error` to a socket that never connected, as a middleware's `next(err)` would. */
export function refuseSocket(socket: Socket, error: { message: string; data: unknown }): void {
  (socket as unknown as { _error(err: { message: string; data: unknown }): void })._error(error);
}

/**
 * `socket.use(check)` for a socket with no middleware yet, in a one-element array: Socket.IO keeps a socket's
 * middlewares in an array that a first `push` grows to 17 slots (~115 B more per connection, bench/README.md). Falls
 * back to `socket.use` (same behaviour, the memory aside) when the socket already has middlewares, and when `fns` is
 * not an array: then it returns false (Socket.IO changed; worth a warning, not a refusal).
 */
export function useOnlyPacketMiddleware(socket: Socket, check: (packet: unknown[], next: (err?: Error) => void) => void): boolean {
  const internals = socket as unknown as SocketInternals;
  const supported = Array.isArray(internals.fns);
  if (supported && (internals.fns as unknown[]).length === 0) internals.fns = [check];
  else socket.use(check as Parameters<Socket['use']>[0]);
  return supported;
}

/** The query Engine.IO parsed from the handshake request (`req._query`), which `socket.handshake.query` shares. */
export function engineQueryOf(request: { _query?: Record<string, unknown> }): Record<string, unknown> | undefined {
  return request._query;
}

/**
 * Decides whether a socket may be added to a room: `socket` is `undefined` for an id Socket.IO has no socket object
 * for yet (the rooms connection state recovery restores, from the socket's constructor).
 */
export type RoomAdmission = (socket: Socket | undefined, room: string) => boolean;

/** Adapters whose `addAll` is guarded already (an adapter serves one namespace). */
const guardedAdapters = new WeakSet<object>();

/**
 * Routes every join into `nsp`'s rooms through `admit`: Socket.IO's `socket.join()`, the rooms connection state
 * recovery restores and a cluster adapter's remote `socketsJoin` all end in the namespace adapter's
 * `addAll(id, rooms)`. A socket's own-id room is always admitted; a refused room is left out (the others are
 * joined) and `refused(socket, room)` is told. Idempotent per adapter; call it again after the application
 * replaced the adapter (`io.adapter(...)` builds new ones), which {@link isRoomGuarded} tells.
 */
export function guardRoomJoins(nsp: Namespace, admit: RoomAdmission, refused: (socket: Socket | undefined, room: string) => void): void {
  const adapter = nsp.adapter as unknown as AdapterInternals & object;
  if (guardedAdapters.has(adapter)) return;
  guardedAdapters.add(adapter);
  const addAll = adapter.addAll as (this: unknown, id: string, rooms: Set<string>) => unknown;
  const pending = (nsp as unknown as NamespaceInternals)._preConnectSockets as Map<string, Socket>;
  adapter.addAll = function (this: unknown, id: string, rooms: Set<string>): unknown {
    const socket = nsp.sockets.get(id) ?? pending.get(id);
    let admitted: Set<string> | undefined;
    for (const room of rooms) {
      if (room === id || admit(socket, room)) continue;
      // Copied on the first refusal only: the common case (every room admitted) allocates nothing.
      admitted ??= new Set(rooms);
      admitted.delete(room);
      refused(socket, room);
    }
    return addAll.call(this, id, admitted ?? rooms);
  };
}

/** Whether `nsp`'s current adapter is guarded by {@link guardRoomJoins}. */
export function isRoomGuarded(nsp: Namespace): boolean {
  return guardedAdapters.has(nsp.adapter as unknown as object);
}

/** Whether `room` is the own-id room of a socket of `nsp` (connected, or still in its middlewares). */
export function isSocketIdRoom(nsp: Namespace, room: string): boolean {
  return nsp.sockets.has(room) || ((nsp as unknown as NamespaceInternals)._preConnectSockets as Map<string, Socket>).has(room);
}
