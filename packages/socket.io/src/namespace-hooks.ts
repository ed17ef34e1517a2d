import type { Namespace, Socket } from 'socket.io';
import type { SocketMiddleware } from './sock-auth.js';

/** Internal Socket.IO 4.x namespace members sockauth's place in the handshake relies on. */
interface NamespaceInternals {
  /** The namespace's middlewares, in the order they run. */
  _fns?: unknown;
  /** Called by `socket._cleanup()`: a refused socket, one whose client left before it connected, or a disconnect. */
  _remove?: (socket: Socket) => void;
}

/**
 * Installs `middleware` to run before every middleware the namespace already has. A child of a parent (regex or
 * function) namespace is created with its parent's middlewares copied in, application ones included: appended,
 * sockauth would run after them, and they would see the raw token and run for handshakes it refuses. Falls back to
 * `nsp.use` when the internals are not the expected ones.
 */
export function useFirstMiddleware(nsp: Namespace, middleware: SocketMiddleware): void {
  const internals = nsp as unknown as NamespaceInternals;
  if (Array.isArray(internals._fns)) internals._fns.unshift(middleware);
  else nsp.use(middleware);
}

/**
 * Calls `onForget` each time Socket.IO forgets a socket of `nsp` (once per namespace: one closure, not one per
 * socket). This is the only signal for a socket a later middleware refused, or whose client left while a later
 * middleware held it: Socket.IO emits no event for either. Returns false when the internals are missing.
 */
export function onSocketForgotten(nsp: Namespace, onForget: (socket: Socket) => void): boolean {
  const internals = nsp as unknown as NamespaceInternals;
  const remove = internals._remove;
  if (typeof remove !== 'function') return false;
  internals._remove = function (this: Namespace, socket: Socket): void {
    remove.call(this, socket);
    onForget(socket);
  };
  return true;
}

/** True when `nsp` is a child of one of `io`'s parent (regex or function) namespaces. */
export function isChildNamespace(nsp: Namespace): boolean {
  const parents = (nsp.server as unknown as { parentNsps?: Map<unknown, { children?: Set<Namespace> }> }).parentNsps;
  if (parents === undefined) return false;
  for (const parent of parents.values()) if (parent.children?.has(nsp) === true) return true;
  return false;
}
