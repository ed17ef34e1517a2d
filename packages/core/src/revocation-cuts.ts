import type { ConnectionRegistry } from './connection-registry.js';
import { AuthRevokedError, type AuthError } from './errors.js';
import { parseRevocationTarget, revokeTarget, type RevocationRecord, type RevocationStore, type RevocationTarget } from './revocation.js';
import { identityOf, safely, type SessionHooks } from './session-hooks.js';
import type { SessionReporter } from './session-reporter.js';
import type { SessionStates } from './session-state.js';
import type { SessionTransport } from './session-transport.js';
import type { Verifier } from './verifier.js';

/** What the revocation cuts need from the session they serve. */
export interface RevocationCutsDeps<H extends object> {
  readonly store: RevocationStore;
  /** Its clock tolerance says how long a token revocation must be kept. */
  readonly verifier: Pick<Verifier, 'clockToleranceSec'>;
  /** The `since` of a subject revocation made now (the clock plus the issuer's clock skew). */
  readonly subjectSince: () => number;
  /** The issuer's clock skew in ms, added to a subject revocation's `since` (taken off again for `revokedAt`). */
  readonly issuerSkewMs: number;
  readonly states: SessionStates<H>;
  readonly registry: ConnectionRegistry<H>;
  readonly transport: SessionTransport<H, unknown>;
  readonly reporter: SessionReporter<H>;
  readonly hooks: SessionHooks;
  /** Sends `auth:error` and closes a connected connection. */
  readonly disconnect: (handle: H, error: AuthError) => void;
}

/**
 * Revocation on one node: cuts the live connections each revocation applies to (whichever node made it) and
 * counts the cuts of the revocations this node makes. (Handshakes and re-auths whose store lookup races a
 * revocation are refused by `ConnectionAuth`.)
 */
export class RevocationCuts<H extends object> {
  readonly #deps: RevocationCutsDeps<H>;
  /** Connections cut so far for revocations this node is making, so `revoke()` can report how many. */
  readonly #pendingRevocations = new Map<string, { cut: number; refs: number }>();

  constructor(deps: RevocationCutsDeps<H>) {
    this.#deps = deps;
  }

  /** Records the revocation in the store, cuts the matching connections here and says how many were cut. */
  async revoke(target: RevocationTarget): Promise<{ disconnected: number }> {
    const { registry, verifier, store } = this.#deps;
    let until: number | undefined;
    if (target && typeof target === 'object' && 'tokenId' in target && typeof target.tokenId === 'string') {
      // Keep a token revocation as long as the longest-lived live connection using that token id needs it.
      for (const handle of registry.match({ kind: 'token', id: target.tokenId, since: Infinity, until: Infinity })) {
        const expiresAt = registry.get(handle)?.expiresAt ?? 0;
        until = Math.max(until ?? 0, expiresAt + verifier.clockToleranceSec * 1000);
      }
    }
    const key = targetKey(target);
    const pending = this.#pendingRevocations.get(key) ?? { cut: 0, refs: 0 };
    pending.refs++;
    this.#pendingRevocations.set(key, pending);
    try {
      const record = await revokeTarget(store, target, until, this.#deps.subjectSince());
      // The store's listener normally cut the connections already; this also covers stores that publish late.
      this.cut(record);
      return { disconnected: pending.cut };
    } finally {
      if (--pending.refs === 0) this.#pendingRevocations.delete(key);
    }
  }

  /** Cuts the live connections a revocation applies to (the store's listener, and `revoke()`). */
  cut(record: RevocationRecord): void {
    const { states, registry, transport, reporter, hooks, disconnect } = this.#deps;
    const handles = registry.match(record);
    const revokedAt = record.kind === 'subject' ? record.since - this.#deps.issuerSkewMs : record.since;
    let cut = 0;
    for (const handle of handles) {
      const state = states.get(handle);
      if (state === undefined || !state.auth.revoke()) continue;
      const context = registry.get(handle);
      const subject = context?.subject ?? '';
      const where = reporter.where(handle);
      cut++;
      safely(() => hooks.onRevoke?.({ ...where, ...(context === undefined ? { subject } : identityOf(context)), kind: record.kind, revokedAt }));
      reporter.log('info', { sockauth: 'revoked', ...where, subject, revocation: record.kind }, 'sockauth: connection revoked');
      // Not connected yet (handshake accepted, connection pending): the session cuts it once started.
      if (transport.isOpen(handle)) disconnect(handle, new AuthRevokedError());
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
