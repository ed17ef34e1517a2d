import { SignJWT, type JWTPayload, type JWTHeaderParameters } from 'jose';

/** A whole second, so second-granular JWT claims line up exactly with millisecond clocks. */
export const NOW_MS = 1_700_000_000_000;
export const NOW_SEC = NOW_MS / 1000;

/** Test-only HMAC secret (48 bytes). */
export const SECRET = 'sockauth-test-secret-0123456789-abcdefghijklmnop';
export const SECRET_BYTES = new TextEncoder().encode(SECRET);

export interface TokenOptions {
  readonly header?: Partial<JWTHeaderParameters>;
  readonly key?: Parameters<SignJWT['sign']>[0];
}

/**
 * Signs `claims` as given (no defaults are added beyond what the caller passes). HS256 with {@link SECRET}
 * unless a header/key says otherwise.
 */
export function sign(claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const header = { alg: 'HS256', ...options.header } as JWTHeaderParameters;
  return new SignJWT(claims).setProtectedHeader(header).sign(options.key ?? SECRET_BYTES);
}

/** Typical valid claims relative to `nowSec`: issued now, expiring in an hour. */
export function claims(extra: JWTPayload = {}, nowSec = NOW_SEC): JWTPayload {
  return { sub: 'alice', iat: nowSec, exp: nowSec + 3600, ...extra };
}

/** A promise that can be resolved from outside, to force an order of completion. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Awaits a promise expected to reject and returns the rejection reason. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
