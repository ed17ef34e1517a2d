import { MemoryRevocationStore } from './memory-revocation-store.js';
import { assertKnownKeys } from './option-keys.js';
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
 * The session options inside a transport adapter's options, the checks every adapter makes first included: the
 * options must be an object whose keys are all in `knownKeys` (the adapter's list, core's session keys and its
 * own: a `TypeError` naming the nearest for a misspelt one), with a verifier. Returns only the keys core's session
 * takes (the adapter's own, such as token sources, left out), the verifier built from its options when they are
 * given, and a new in-memory revocation store when none is. `where` names the options object in every `TypeError`.
 *
 * @example
 * ```ts
 * const session = adapterSessionOptions<WebSocket>('createWsAuth options', options, WS_AUTH_OPTION_KEYS);
 * const sessions = new AuthSessions(session, transport, 'createWsAuth options');
 * ```
 */
export function adapterSessionOptions<H>(
  where: string,
  options: AdapterSessionInput & object,
  knownKeys: Readonly<Record<string, true>>,
): SessionOptions<H> & { readonly revocationStore: RevocationStore } {
  if (typeof options !== 'object' || options === null) throw new TypeError(`sockauth: ${where} are required`);
  // A misspelt option would leave its default in force without a word (or a rule not applied): refuse it.
  assertKnownKeys(where, options, knownKeys);
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
