import type { Namespace } from 'socket.io';
import type { SocketMiddleware } from './sock-auth.js';

/** Internal Socket.IO 4.x namespace members sockauth's place in the handshake relies on. */
interface NamespaceInternals {
  /** The namespace's middlewares, in the order they run. */
  _fns?: unknown;
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

/** True when `nsp` is a child of one of `io`'s parent (regex or function) namespaces. */
export function isChildNamespace(nsp: Namespace): boolean {
  const parents = (nsp.server as unknown as { parentNsps?: Map<unknown, { children?: Set<Namespace> }> }).parentNsps;
  if (parents === undefined) return false;
  for (const parent of parents.values()) if (parent.children?.has(nsp) === true) return true;
  return false;
}
