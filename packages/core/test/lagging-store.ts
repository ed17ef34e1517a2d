/**
 * A revocation store whose lookups can be held after they have answered: the answer is computed when the lookup
 * runs and delivered when the test releases it, as when a store's reply is still on the wire while a revocation
 * arrives. It counts its listeners (to show who listens, and for how long). Shared with test/security.
 */
import { MemoryRevocationStore, type RevocationStore } from '../src/index.js';

interface Gate {
  readonly promise: Promise<void>;
  resolve(): void;
}

function gate(): Gate {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export interface LaggingStore {
  readonly store: RevocationStore;
  /** Holds the next lookup once it has answered: `asked` resolves then, `release()` delivers the answer. */
  holdNextLookup(): { asked: Promise<void>; release(): void };
  /** Listeners currently subscribed. */
  listeners(): number;
}

/**
 * @example
 * ```ts
 * const { store, holdNextLookup } = laggingStore();
 * const lookup = holdNextLookup();
 * const reply = refresh(socket, token); // the store answers "not revoked" ...
 * await lookup.asked;
 * await revoke(token);                  // ... then the revocation arrives
 * lookup.release();
 * ```
 */
export function laggingStore(options: { now?: () => number } = {}): LaggingStore {
  const inner = new MemoryRevocationStore(options.now === undefined ? {} : { now: options.now });
  let held: { asked: Gate; release: Gate } | undefined;
  let listeners = 0;
  const store: RevocationStore = {
    revokeToken: (id, until) => inner.revokeToken(id, until),
    revokeSubject: (subject, since) => inner.revokeSubject(subject, since),
    revokeSession: (id) => inner.revokeSession(id),
    subscribe: (listener) => {
      listeners++;
      const off = inner.subscribe(listener);
      return () => {
        listeners--;
        off();
      };
    },
    isRevoked: async (token) => {
      const answer = await inner.isRevoked(token);
      const hold = held;
      held = undefined;
      if (hold !== undefined) {
        hold.asked.resolve();
        await hold.release.promise;
      }
      return answer;
    },
  };
  return {
    store,
    listeners: () => listeners,
    holdNextLookup() {
      const hold = { asked: gate(), release: gate() };
      held = hold;
      return { asked: hold.asked.promise, release: () => hold.release.resolve() };
    },
  };
}
