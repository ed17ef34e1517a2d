import {
  AuthRevokedError,
  parseRevocationTarget,
  revokeTarget,
  type AuthError,
  type ConnectionRegistry,
  type RevocationRecord,
  type RevocationStore,
  type RevocationTarget,
  type Verifier,
} from '@sockauth/core';
import type { Socket } from 'socket.io';
import type { SockAuthHooks } from './options.js';
import { safely, where, type Reporter } from './reporter.js';
import type { SocketStates } from './socket-state.js';

/** What the revocation cuts need from the `SockAuth` they serve. */
export interface RevocationCutsDeps {
  readonly store: RevocationStore;
  /** Its clock tolerance says how long a token revocation must be kept. */
  readonly verifier: Pick<Verifier, 'clockToleranceSec'>;
  /** The `since` of a subject revocation made now (the clock plus the issuer's clock skew: core decides). */
  readonly subjectSince: () => number;
  readonly states: SocketStates;
  readonly registry: ConnectionRegistry<Socket>;
  readonly reporter: Reporter;
  readonly hooks: SockAuthHooks;
  /** Sends `auth:error` and disconnects a connected socket. */
  readonly disconnect: (socket: Socket, error: AuthError) => void;
}

/**
 * Revocation on one node: cuts the live sockets each revocation applies to (whichever node made it) and counts
 * the cuts of the revocations this node makes. (Handshakes and re-auths whose store lookup races a revocation are
 * refused by core's `ConnectionAuth`.)
 */
export class RevocationCuts {
  readonly #deps: RevocationCutsDeps;
  /** Sockets cut so far for revocations this node is making, so `revoke()` can report how many. */
  readonly #pendingRevocations = new Map<string, { cut: number; refs: number }>();

  constructor(deps: RevocationCutsDeps) {
    this.#deps = deps;
  }

  /** Records the revocation in the store, cuts the matching sockets here and says how many were cut. */
  async revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    const { registry, verifier, store } = this.#deps;
    let until: number | undefined;
    if (target && typeof target === 'object' && 'tokenId' in target && typeof target.tokenId === 'string') {
      // Keep a token revocation as long as the longest-lived live socket using that token id needs it.
      for (const socket of registry.match({ kind: 'token', id: target.tokenId, since: Infinity, until: Infinity })) {
        const expiresAt = registry.get(socket)?.expiresAt ?? 0;
        until = Math.max(until ?? 0, expiresAt + verifier.clockToleranceSec * 1000);
      }
    }
    const key = targetKey(target);
    const pending = this.#pendingRevocations.get(key) ?? { cut: 0, refs: 0 };
    pending.refs++;
    this.#pendingRevocations.set(key, pending);
    try {
      const record = await revokeTarget(store, target, until, this.#deps.subjectSince());
      // The store's listener normally cut the sockets already; this also covers stores that publish late.
      this.cut(record);
      return { disconnected: pending.cut };
    } finally {
      if (--pending.refs === 0) this.#pendingRevocations.delete(key);
    }
  }

  /** Cuts the live sockets a revocation applies to (the store's listener, and `revoke()`). */
  cut(record: RevocationRecord): void {
    const { states, registry, reporter, hooks, disconnect } = this.#deps;
    const sockets = registry.match(record);
    let cut = 0;
    for (const socket of sockets) {
      const state = states.get(socket);
      if (state === undefined || !state.auth.revoke()) continue;
      const subject = registry.get(socket)?.subject ?? '';
      cut++;
      safely(() => hooks.onRevoke?.({ socketId: socket.id, subject, kind: record.kind }));
      reporter.log('info', { sockauth: 'revoked', ...where(socket), subject, revocation: record.kind }, 'sockauth: socket revoked');
      // Not connected yet (handshake accepted, connection event pending): `SockAuth` cuts it once connected.
      if (socket.connected) disconnect(socket, new AuthRevokedError());
    }
    const key = `${record.kind}\u0000${record.id}`;
    const pending = this.#pendingRevocations.get(key);
    if (pending !== undefined) pending.cut += cut;
  }
}

function targetKey(target: RevocationTarget): string {
  const { kind, id } = parseRevocationTarget(target);
  return `${kind}\u0000${id}`;
}
