/**
 * fast-check arbitraries for hostile tokens: mutations of a valid token (character edits, bit flips inside the
 * decoded segments, segment swaps and splices from another valid token), random strings of every kind, and
 * forged tokens (random headers and claims, unsigned or signed with a key the server does not trust).
 */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { base64url } from 'jose';

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const EDIT_CHARS = [...B64URL, '.', '=', '+', '/', ' ', '%', '\u0000', '\n', '\u00e9', '\u200b', '"', '{'];

export type Mutation =
  | { readonly kind: 'replace'; readonly at: number; readonly char: string }
  | { readonly kind: 'insert'; readonly at: number; readonly char: string }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'flipBit'; readonly segment: number; readonly at: number; readonly bit: number }
  | { readonly kind: 'swapSegments'; readonly a: number; readonly b: number }
  | { readonly kind: 'splice'; readonly segment: number }
  | { readonly kind: 'duplicateSegment'; readonly segment: number };

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), char: fc.constantFrom(...EDIT_CHARS) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), char: fc.constantFrom(...EDIT_CHARS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('flipBit' as const), segment: fc.nat(2), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('swapSegments' as const), a: fc.nat(2), b: fc.nat(2) }),
  fc.record({ kind: fc.constant('splice' as const), segment: fc.nat(2) }),
  fc.record({ kind: fc.constant('duplicateSegment' as const), segment: fc.nat(2) }),
);

/** Applies `mutation` to `token`; `donor` is another valid token whose segments may be spliced in. */
export function applyMutation(token: string, mutation: Mutation, donor: string): string {
  const segments = token.split('.');
  switch (mutation.kind) {
    case 'replace': {
      if (token.length === 0) return mutation.char;
      const at = mutation.at % token.length;
      return token.slice(0, at) + mutation.char + token.slice(at + 1);
    }
    case 'insert': {
      const at = mutation.at % (token.length + 1);
      return token.slice(0, at) + mutation.char + token.slice(at);
    }
    case 'delete': {
      if (token.length === 0) return token;
      const at = mutation.at % token.length;
      return token.slice(0, at) + token.slice(at + mutation.length);
    }
    case 'truncate':
      return token.slice(0, mutation.at % (token.length + 1));
    case 'flipBit': {
      const index = mutation.segment % segments.length;
      let bytes: Uint8Array;
      try {
        bytes = base64url.decode(segments[index]!);
      } catch {
        return token;
      }
      if (bytes.length === 0) return token;
      const flipped = Uint8Array.from(bytes);
      const at = mutation.at % flipped.length;
      flipped[at] = flipped[at]! ^ (1 << mutation.bit);
      segments[index] = base64url.encode(flipped);
      return segments.join('.');
    }
    case 'swapSegments': {
      const a = mutation.a % segments.length;
      const b = mutation.b % segments.length;
      [segments[a], segments[b]] = [segments[b]!, segments[a]!];
      return segments.join('.');
    }
    case 'splice': {
      const other = donor.split('.');
      const index = mutation.segment % Math.min(segments.length, other.length);
      segments[index] = other[index]!;
      return segments.join('.');
    }
    case 'duplicateSegment': {
      const index = mutation.segment % segments.length;
      segments.splice(index, 0, segments[index]!);
      return segments.join('.');
    }
  }
}

/** 1 to 4 mutations of `token`, as the mutated string (with the mutations, for shrinking and reports). */
export function mutatedToken(token: string, donor: string): fc.Arbitrary<{ mutations: Mutation[]; token: string }> {
  return fc
    .array(mutationArbitrary, { minLength: 1, maxLength: 4 })
    .map((mutations) => ({ mutations, token: mutations.reduce((t, m) => applyMutation(t, m, donor), token) }));
}

/** Strings of every kind: printable, full unicode, token-shaped, base64, long. */
export const garbageTokenArbitrary: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{0,40}\.[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,50}$/),
  fc.stringMatching(/^eyJ[A-Za-z0-9_-]{0,40}\.eyJ[A-Za-z0-9_-]{0,60}\.[A-Za-z0-9_-]{0,50}$/),
  fc.base64String({ maxLength: 200 }),
  fc.array(fc.constantFrom('.', 'e', 'y', 'J', '=', '-', '_'), { maxLength: 30 }).map((chars) => chars.join('')),
  fc.string({ minLength: 8000, maxLength: 9000 }),
);

/** Algorithms an attacker may name, `none` in every casing included. */
export const HOSTILE_ALGS = ['none', 'None', 'NONE', 'nOnE', 'HS256', 'HS384', 'HS512', 'RS256', 'ES256', 'PS256', 'EdDSA', ''] as const;

/** A hostile protected header. */
export const headerArbitrary: fc.Arbitrary<Record<string, unknown>> = fc
  .record(
    {
      alg: fc.oneof(fc.constantFrom(...HOSTILE_ALGS), fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 1 })),
      typ: fc.constantFrom('JWT', 'at+jwt', 'JWE', ''),
      kid: fc.oneof(fc.constantFrom('../../etc/passwd', '__proto__', 'constructor', "' OR 1=1 --", 'rs-1'), fc.string({ maxLength: 12 })),
      crit: fc.array(fc.constantFrom('b64', 'exp', 'x'), { maxLength: 2 }),
      b64: fc.boolean(),
      jku: fc.constant('http://127.0.0.1:9/jwks.json'),
      x: fc.jsonValue({ maxDepth: 2 }),
    },
    { requiredKeys: ['alg'] },
  );

/** Mostly `valid`, sometimes `hostile`, sometimes absent (undefined members are dropped). */
function claim<T, U>(valid: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>): fc.Arbitrary<T | U | undefined> {
  return fc.oneof(
    { arbitrary: valid, weight: 6 },
    { arbitrary: hostile, weight: 2 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
}

/**
 * Plausible claims with hostile variations, for the `iss`/`aud` the server trusts: each claim is mostly valid,
 * so that many generated tokens are accepted and the properties about accepted tokens are not vacuous.
 */
export function claimsArbitrary(issuer: string, audience: string, nowSec: () => number): fc.Arbitrary<Record<string, unknown>> {
  const hostileTime = fc.oneof(
    fc.integer({ min: -4000, max: 4000 }).map((delta) => nowSec() + delta),
    fc.constantFrom(0, -1, 1e300, Number.MAX_SAFE_INTEGER, 0.5),
    fc.string({ maxLength: 12 }),
    fc.constant(null),
  );
  return fc
    .record({
      sub: claim(fc.constantFrom('alice', 'bob'), fc.oneof(fc.constant(''), fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null))),
      iss: claim(fc.constant(issuer), fc.oneof(fc.constant(`${issuer} `), fc.constant(issuer.toUpperCase()), fc.string({ maxLength: 12 }))),
      aud: claim(fc.constantFrom(audience, [audience, 'other']), fc.oneof(fc.constant(['other']), fc.string({ maxLength: 12 }), fc.integer())),
      exp: claim(fc.integer({ min: 60, max: 86_400 }).map((delta) => nowSec() + delta), hostileTime),
      nbf: claim(fc.integer({ min: -600, max: 0 }).map((delta) => nowSec() + delta), hostileTime),
      iat: claim(fc.integer({ min: -600, max: 0 }).map((delta) => nowSec() + delta), hostileTime),
      jti: claim(fc.uuid(), fc.oneof(fc.constant(''), fc.integer())),
      sid: claim(fc.string({ minLength: 1, maxLength: 8 }), fc.oneof(fc.constant(''), fc.integer())),
      scope: claim(
        fc.constantFrom('chat:read', 'chat:write chat:admin'),
        fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), fc.integer(), fc.constant({ admin: true })),
      ),
    })
    .map((claims) => Object.fromEntries(Object.entries(claims).filter(([, value]) => value !== undefined)));
}

/** How a forged token is "signed". */
export type ForgedSignature = 'empty' | 'random' | 'attacker-hmac' | 'borrowed';

/** A compact token from a header and claims, with a signature no trusted key produced. */
export function forge(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  signature: ForgedSignature,
  attackerSecret: string,
  borrowedFrom: string,
  randomBytes: Uint8Array,
): string {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(claims))}`;
  switch (signature) {
    case 'empty':
      return `${input}.`;
    case 'random':
      return `${input}.${base64url.encode(randomBytes)}`;
    case 'attacker-hmac':
      return `${input}.${base64url.encode(createHmac('sha256', attackerSecret).update(input).digest())}`;
    case 'borrowed':
      return `${input}.${borrowedFrom.split('.')[2] ?? ''}`;
  }
}

export const forgedSignatureArbitrary: fc.Arbitrary<ForgedSignature> = fc.constantFrom('empty', 'random', 'attacker-hmac', 'borrowed');
