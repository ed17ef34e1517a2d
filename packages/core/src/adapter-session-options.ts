import { MemoryRevocationStore } from './memory-revocation-store.js';
import type { RevocationStore } from './revocation.js';
import { SESSION_OPTION_KEYS, type SessionOptions } from './session-options.js';
import { createVerifier, isVerifier, type Verifier } from './verifier.js';
import type { VerifierOptions } from './verifier-options.js';

/** What every adapter's options hold besides the session's: a verifier or its options, an optional store. */
export interface AdapterSessionInput {
  readonly verifier?: Verifier | VerifierOptions;
  readonly revocationStore?: RevocationStore;
}

/**
 * The session options inside a transport adapter's options: only the keys core's session takes (the adapter's own,
 * such as token sources, left out), the verifier built from its options when they are given, and a new in-memory
 * revocation store when none is. `where` names the options object in the `TypeError` for a missing verifier.
 *
 * @example
 * ```ts
 * const session = adapterSessionOptions<WebSocket>('createWsAuth options', options);
 * const sessions = new AuthSessions(session, transport, 'createWsAuth options');
 * ```
 */
export function adapterSessionOptions<H>(
  where: string,
  options: AdapterSessionInput & object,
): SessionOptions<H> & { readonly revocationStore: RevocationStore } {
  if (options.verifier === undefined) throw new TypeError(`sockauth: ${where}.verifier is required`);
  const shared: Record<string, unknown> = {};
  for (const key of Object.keys(SESSION_OPTION_KEYS)) {
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) shared[key] = value;
  }
  return {
    ...(shared as Partial<SessionOptions<H>>),
    verifier: isVerifier(options.verifier) ? options.verifier : createVerifier(options.verifier),
    revocationStore: options.revocationStore ?? new MemoryRevocationStore(),
  };
}
