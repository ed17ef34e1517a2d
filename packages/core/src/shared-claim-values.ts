import { deepFreeze } from './auth-context.js';
import type { JWTHeaderParameters, JWTPayload } from './jose.js';

/**
 * Claims whose values are the same in most tokens of an issuer (its name, the audience, the scopes of a role): the
 * strings JSON parsing makes are equal but distinct, so 10,000 connections would keep 10,000 copies of each.
 */
const REPEATED_CLAIMS = ['iss', 'aud', 'scope', 'scp', 'azp'] as const;
/** At most this many distinct values are shared (then new ones are kept as they are): memory stays bounded. */
const MAX_VALUES = 1024;
/** Longer values are never shared (a large value is rare, and comparing it costs more than it saves). */
const MAX_VALUE_LENGTH = 512;
/** At most this many distinct protected headers are shared (`alg`, `typ`, `kid` vary little). */
const MAX_HEADERS = 64;

/**
 * One instance of each repeated claim value and protected header of the tokens a verifier accepted, so that every
 * live connection holding such a token points at the same strings and header object instead of a copy of its own.
 * Fed only after the signature check (what it holds was signed by a trusted key) and bounded, so a client cannot
 * grow it. Replacing a string by an equal one is invisible to every reader; headers are shared only where the
 * verifier already hands out deeply frozen, shared results (its verified-token cache).
 * @internal
 */
export class SharedClaimValues {
  readonly #values = new Map<string, string>();
  readonly #headers = new Map<string, Partial<JWTHeaderParameters>>();

  /** Points the repeated claims of `payload` (not yet frozen) at the shared instance of their values. */
  shareValues(payload: JWTPayload): void {
    const claims = payload as Record<string, unknown>;
    for (const name of REPEATED_CLAIMS) {
      const value = claims[name];
      if (typeof value === 'string') claims[name] = this.#shared(value);
      else if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (typeof value[i] === 'string') value[i] = this.#shared(value[i] as string);
      }
    }
  }

  /** The shared instance of a protected header equal to `header`, deeply frozen (`header` itself when it is the first). */
  sharedHeader(header: Partial<JWTHeaderParameters>): Partial<JWTHeaderParameters> {
    // A fresh string as the key: a slice of the token would keep the first token seen alive.
    const key = JSON.stringify(header);
    const known = this.#headers.get(key);
    if (known !== undefined) return known;
    if (this.#headers.size < MAX_HEADERS) this.#headers.set(key, deepFreeze(header));
    return header;
  }

  #shared(value: string): string {
    if (value.length > MAX_VALUE_LENGTH) return value;
    const known = this.#values.get(value);
    if (known !== undefined) return known;
    if (this.#values.size < MAX_VALUES) this.#values.set(value, value);
    return value;
  }
}
