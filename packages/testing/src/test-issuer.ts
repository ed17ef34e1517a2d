import { randomBytes, randomUUID } from 'node:crypto';
import {
  SignJWT,
  exportJWK,
  generateKeyPair,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from '@sockauth/core/jose';
import { assertKnownKeys, type Algorithm, type AuthContext, type KnownKeys, type VerifierOptions } from '@sockauth/core';
import { serveJwks, type JwksServer } from './jwks-server.js';

/**
 * Claims accepted by {@link TestIssuer.mint}. Everything else is copied into the token as is. A registered claim
 * given as `undefined` (`iss`, `aud`, `iat`) is left out of the token, for tests of a verifier that requires it.
 */
export interface MintClaims extends JWTPayload {
  /** Subject (required by sockauth's default claim mapping). */
  readonly sub?: string;
  /** Permissions, written as the `permissions` array claim. */
  readonly permissions?: readonly string[];
  /** Lifetime in seconds from now (default: the issuer's `defaultTtlSec`). Ignored when `exp` is given. */
  readonly ttlSec?: number;
}

/** Options of {@link TestIssuer.mintFor}. */
export interface MintForOptions {
  /**
   * Copy the context's claims into the new token (default `true`). `false` mints only the identity: `sub`, `sid`
   * and the context's permissions as the `permissions` claim.
   */
  readonly keepClaims?: boolean;
}

/**
 * Claims {@link TestIssuer.mintFor} never copies from a context: the time claims it mints afresh, and the token
 * id, which belongs to the old token.
 */
const REMINTED_CLAIMS = ['iat', 'exp', 'nbf', 'jti'] as const;

/** Options of {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** Signing algorithm (default `HS256`). Asymmetric algorithms get a fresh key pair and a `kid`. */
  readonly alg?: Algorithm;
  /** `iss` of minted tokens and of {@link TestIssuer.verifierOptions} (default `sockauth-test`). */
  readonly issuer?: string;
  /** `aud` of minted tokens and of {@link TestIssuer.verifierOptions} (default `sockauth-test`). */
  readonly audience?: string;
  /** Default lifetime of minted tokens in seconds (default 300). */
  readonly defaultTtlSec?: number;
  /** Clock tolerance put in {@link TestIssuer.verifierOptions} (default 0: expiry tests stay exact). */
  readonly clockToleranceSec?: number;
  /**
   * HS* only: sign with this secret instead of a random one, for an application under test that already reads its
   * secret from its configuration (`JWT_SECRET`), or for a second issuer whose tokens must fail the signature check.
   * At least 32 bytes, as sockauth's verifier requires. {@link TestIssuer.rotate} still switches to a random one.
   *
   * @example
   * ```ts
   * const issuer = await createTestIssuer({ secret: process.env.JWT_SECRET, issuer: 'my-app', audience: 'my-app' });
   * ```
   */
  readonly secret?: string;
}

/** Every option of {@link TestIssuerOptions}: the typecheck fails if the two drift apart. */
const TEST_ISSUER_OPTION_KEYS = {
  alg: true,
  issuer: true,
  audience: true,
  defaultTtlSec: true,
  clockToleranceSec: true,
  secret: true,
} as const satisfies KnownKeys<TestIssuerOptions>;

/** What sockauth's verifier requires of an HMAC secret. */
const MIN_SECRET_BYTES = 32;

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey | Uint8Array;
  readonly publicJwk?: JWK;
  /** HS* only: the secret as printable text (base64url of random bytes), usable in an environment variable. */
  readonly secret?: string;
}

/**
 * A real token issuer for tests: its own key (or secret), tokens minted with `jose`, and verifier options for
 * sockauth that trust exactly it — so tests exercise the real verifier, never a mock of it.
 */
export interface TestIssuer {
  /** The signing algorithm. */
  readonly alg: Algorithm;
  /** `iss` of minted tokens. */
  readonly issuer: string;
  /** `aud` of minted tokens. */
  readonly audience: string;
  /** The HMAC secret (HS* issuers only): hand it to a server started in another process. */
  readonly secret: string | undefined;
  /** Options for `createVerifier`/`sockAuth`/`SockAuthModule` that trust this issuer (local key, no network). */
  verifierOptions(): VerifierOptions;
  /** Verifier options that fetch this issuer's keys from its JWKS server (asymmetric issuers; starts the server). */
  remoteVerifierOptions(): Promise<VerifierOptions>;
  /**
   * Mints a token. `iat` defaults to now, to the millisecond (a fractional NumericDate, so two tokens minted one
   * after another are ordered for the re-auth rules), and `exp` to now + ttl in whole seconds; `permissions` becomes
   * the `permissions` claim.
   */
  mint(claims?: MintClaims): Promise<string>;
  /** Mints a token that expired `agoSec` seconds ago (default 60). */
  mintExpired(claims?: MintClaims, agoSec?: number): Promise<string>;
  /**
   * Mints a fresh token for `context`: what a client would present in an in-band re-auth, accepted even when it
   * grants more. The token carries the
   * context's claims (custom ones such as `tenant` included, so the app's `mapClaims`/`authorize` see what they saw
   * at the handshake) with `sub` = the context's subject and `sid` = its session; the time claims are new: `iat`
   * is now and at least a millisecond newer than the context's, `exp` is now + ttl and `nbf` is dropped, and so is `jti` (a new
   * token gets a new id, or none). `claims` override any of these (`{ jti: context.tokenId }` keeps the id;
   * `{ tenant: undefined }` drops a claim); `{ keepClaims: false }` mints only `sub`, `sid` and the permissions.
   *
   * @example
   * ```ts
   * const context = auth.contextOf(serverSocket)!; // claims { sub: 'alice', tenant: 't1', ... }
   * const token = await issuer.mintFor(context, { permissions: ['chat:write'] }); // still tenant 't1'
   * await socket.emitWithAck('auth:refresh', { token });
   * ```
   */
  mintFor(context: AuthContext, claims?: MintClaims, options?: MintForOptions): Promise<string>;
  /** The public key set (asymmetric issuers). */
  jwks(): JSONWebKeySet;
  /** Serves {@link jwks} on a loopback port (once; later calls return the same server). */
  serveJwks(): Promise<JwksServer>;
  /**
   * Switches to a new signing key with a new `kid`. The JWKS keeps the previous public key too (as an identity
   * provider does during rotation) unless `{ dropPrevious: true }`. HS* issuers get a new secret.
   */
  rotate(options?: { readonly dropPrevious?: boolean }): Promise<void>;
  /** Stops the JWKS server, if any. */
  close(): Promise<void>;
}

const HMAC_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 };

function isSymmetric(alg: Algorithm): boolean {
  return alg.startsWith('HS');
}

async function newKey(alg: Algorithm, given?: string): Promise<SigningKey> {
  const kid = randomUUID();
  if (isSymmetric(alg)) {
    const secret = given ?? randomBytes(HMAC_BYTES[alg] ?? 64).toString('base64url');
    return { kid, secret, privateKey: new TextEncoder().encode(secret) };
  }
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, privateKey, publicJwk };
}

function nowSec(): number {
  return Math.floor(Date.now() / 1000);
}

/**
 * Creates a {@link TestIssuer}.
 *
 * @example
 * ```ts
 * const issuer = await createTestIssuer({ alg: 'ES256' });
 * const auth = sockAuth(io, { verifier: issuer.verifierOptions(), events: { whoami: null } });
 * const token = await issuer.mint({ sub: 'alice', permissions: ['chat:read'], ttlSec: 5 });
 * ```
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  assertKnownKeys('createTestIssuer options', options, TEST_ISSUER_OPTION_KEYS);
  const alg = options.alg ?? 'HS256';
  const issuer = options.issuer ?? 'sockauth-test';
  const audience = options.audience ?? 'sockauth-test';
  const defaultTtlSec = options.defaultTtlSec ?? 300;
  const clockToleranceSec = options.clockToleranceSec ?? 0;
  if (typeof defaultTtlSec !== 'number' || !(defaultTtlSec > 0)) {
    throw new TypeError('createTestIssuer: "defaultTtlSec" must be a positive number');
  }
  if (options.secret !== undefined) {
    if (!isSymmetric(alg)) throw new TypeError(`createTestIssuer: "secret" is for HS* issuers, not ${JSON.stringify(alg)}`);
    if (typeof options.secret !== 'string' || Buffer.byteLength(options.secret, 'utf8') < MIN_SECRET_BYTES) {
      throw new TypeError(`createTestIssuer: "secret" must be a string of at least ${MIN_SECRET_BYTES} bytes`);
    }
  }
  let current = await newKey(alg, options.secret).catch(() => {
    throw new TypeError(`createTestIssuer: unsupported algorithm ${JSON.stringify(alg)}`);
  });
  let published: JWK[] = current.publicJwk ? [current.publicJwk] : [];
  let server: JwksServer | undefined;
  const symmetric = isSymmetric(alg);

  const base = (): Pick<VerifierOptions, 'algorithms' | 'issuer' | 'audience' | 'clockToleranceSec'> => ({
    algorithms: [alg],
    issuer,
    audience,
    clockToleranceSec,
  });

  async function mint(claims: MintClaims = {}): Promise<string> {
    const { permissions, ttlSec, ...rest } = claims;
    const payload: JWTPayload = { ...rest, ...(permissions !== undefined && { permissions: [...permissions] }) };
    // To the millisecond (a NumericDate may be fractional): tokens minted one after another are ordered, so a
    // re-auth with a later one that grants more is not refused as a same-`iat` token (AUTH_STALE).
    const now = Date.now() / 1000;
    const leftOut = (claim: 'iss' | 'aud' | 'iat'): boolean => claim in rest && rest[claim] === undefined;
    const jwt = new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(!symmetric && { kid: current.kid }) });
    if (!leftOut('iss')) jwt.setIssuer(typeof rest.iss === 'string' ? rest.iss : issuer);
    if (!leftOut('aud')) jwt.setAudience(rest.aud ?? audience);
    if (!leftOut('iat')) jwt.setIssuedAt(typeof rest.iat === 'number' ? rest.iat : now);
    // Whole seconds, as issuers usually do: tokens minted in one second share one `exp` (expiry-storm tests).
    jwt.setExpirationTime(typeof rest.exp === 'number' ? rest.exp : Math.floor(now) + (ttlSec ?? defaultTtlSec));
    return jwt.sign(current.privateKey);
  }

  const testIssuer: TestIssuer = {
    alg,
    issuer,
    audience,
    get secret() {
      return current.secret;
    },
    verifierOptions() {
      return symmetric
        ? { ...base(), secret: current.secret! }
        : { ...base(), jwks: { keys: published.map((key) => ({ ...key })) } };
    },
    async remoteVerifierOptions() {
      if (symmetric) throw new TypeError('TestIssuer: HS* issuers have no JWKS');
      const { url } = await testIssuer.serveJwks();
      return { ...base(), jwksUri: url, jwksOptions: { cooldownMs: 0, timeoutMs: 2_000 } };
    },
    mint,
    mintExpired(claims = {}, agoSec = 60) {
      const exp = nowSec() - agoSec;
      return mint({ ...claims, iat: exp - 60, exp });
    },
    mintFor(context, claims = {}, options = {}) {
      // Strictly newer than the context's iat, to the millisecond (a fractional NumericDate): a token of the same
      // iat could not grant more than the one in force.
      const iat = Math.max(Date.now(), (context.issuedAt ?? 0) + 1) / 1000;
      const kept: Record<string, unknown> = options.keepClaims === false ? {} : { ...context.claims };
      for (const claim of REMINTED_CLAIMS) delete kept[claim];
      // The claims reproduce the permissions; a context whose claims name none (built by hand) still gets them.
      const hasPermissionClaims = ['permissions', 'scope', 'scp'].some((claim) => kept[claim] !== undefined);
      return mint({
        ...kept,
        sub: context.subject,
        ...(context.sessionId !== undefined && { sid: context.sessionId }),
        ...(!hasPermissionClaims && { permissions: context.permissions.toArray() }),
        iat,
        // From this iat's second, as mint() does from now's: the lifetime is exactly the ttl.
        ...(claims.exp === undefined && { exp: Math.floor(iat) + (claims.ttlSec ?? defaultTtlSec) }),
        ...claims,
      });
    },
    jwks() {
      if (symmetric) throw new TypeError('TestIssuer: HS* issuers have no JWKS');
      return { keys: published.map((key) => ({ ...key })) };
    },
    async serveJwks() {
      if (symmetric) throw new TypeError('TestIssuer: HS* issuers have no JWKS');
      server ??= await serveJwks(() => testIssuer.jwks());
      return server;
    },
    async rotate(rotation = {}) {
      current = await newKey(alg);
      if (current.publicJwk) published = rotation.dropPrevious ? [current.publicJwk] : [current.publicJwk, ...published];
    },
    async close() {
      await server?.close();
      server = undefined;
    },
  };
  return testIssuer;
}
