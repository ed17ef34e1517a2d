import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';

/** The only scopes `POST /auth/login` grants. `chat:admin` tokens are minted by the operator (`npm run demo:token`). */
export const GRANTABLE_SCOPES: readonly string[] = Object.freeze(['chat:read', 'chat:write']);
export const DEFAULT_SCOPES: readonly string[] = GRANTABLE_SCOPES;
/** Access token lifetime bounds for `POST /auth/login` (seconds). */
export const MIN_TTL_SEC = 1;
export const MAX_TTL_SEC = 86_400;
export const DEFAULT_TTL_SEC = 900;
/** How long one refresh token stays usable (seconds); each refresh issues a new one. */
export const REFRESH_TTL_SEC = 86_400;
/** Cap on live sessions: logins need no password here, so memory must stay bounded. Oldest are dropped. */
const MAX_SESSIONS = 10_000;
/** Rotated refresh tokens remembered per session for reuse detection (older ones just become unknown). */
const MAX_ROTATED_PER_SESSION = 64;
const SWEEP_INTERVAL_MS = 60_000;

/** What a token endpoint returns. `expiresAt` is the access token's `exp` in ms since the epoch. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
}

/** Claims of an access token to mint. */
export interface AccessTokenSpec {
  readonly subject: string;
  /** Granted permissions, joined into the space-separated `scope` claim. */
  readonly scopes: readonly string[];
  readonly ttlSec: number;
  readonly sessionId?: string;
  readonly tokenId?: string;
  readonly issuer: string;
  readonly audience: string;
}

/** An HMAC key for HS256, built once from the secret. */
export function hs256Key(secret: string): KeyObject {
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

/**
 * Mints an HS256 access token: `sub`, `iss`, `aud`, `iat`, `exp`, `scope`, plus `sid`/`jti` when given.
 * Shared by the identity provider and the `npm run demo:token` CLI.
 *
 * `iat` and `exp` carry milliseconds (RFC 7519 NumericDates may be fractional): a token minted right after a
 * `revoke({ subject })` is then ordered after it, and the user can log in again at once (see `revocation.ts`).
 */
export async function signAccessToken(key: KeyObject, spec: AccessTokenSpec): Promise<{ token: string; expiresAt: number }> {
  const issuedAtMs = Date.now();
  const expiresAtMs = issuedAtMs + spec.ttlSec * 1000;
  const iat = issuedAtMs / 1000;
  const exp = expiresAtMs / 1000;
  const jwt = new SignJWT({ scope: spec.scopes.join(' '), ...(spec.sessionId !== undefined && { sid: spec.sessionId }) })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(spec.subject)
    .setIssuer(spec.issuer)
    .setAudience(spec.audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp);
  if (spec.tokenId !== undefined) jwt.setJti(spec.tokenId);
  return { token: await jwt.sign(key), expiresAt: expiresAtMs };
}

/** Why a refresh was refused. `reused` means the session was revoked as a result. */
export class RefreshError extends Error {
  override readonly name = 'RefreshError';
  constructor(
    readonly reason: 'unknown' | 'expired' | 'reused',
    message: string,
  ) {
    super(message);
  }
}

interface RefreshRecord {
  readonly hash: string;
  readonly sessionId: string;
  readonly expiresAt: number;
  rotated: boolean;
}

interface Session {
  readonly id: string;
  readonly subject: string;
  readonly scopes: readonly string[];
  readonly ttlSec: number;
  /** Hashes of this session's refresh tokens: the current one last, rotated ones before it. */
  readonly tokens: string[];
}

export interface IdentityProviderOptions {
  readonly secret: string;
  readonly issuer: string;
  readonly audience: string;
  /**
   * Called when a rotated refresh token is presented again: someone holds a stolen copy, so the whole session
   * is revoked. The refresh request gets its 401 only after this resolves.
   */
  readonly onSessionCompromised: (sessionId: string) => Promise<unknown>;
}

/**
 * The demo identity provider: no passwords, HS256 access tokens with a fresh session id per login, and opaque
 * refresh tokens kept server-side (only their SHA-256 is stored). Refresh tokens rotate; presenting a rotated
 * one revokes the session.
 */
export class DemoIdentityProvider {
  readonly #key: KeyObject;
  readonly #options: IdentityProviderOptions;
  readonly #refreshTokens = new Map<string, RefreshRecord>();
  /** Insertion order = creation order, so the oldest session is first when the cap is reached. */
  readonly #sessions = new Map<string, Session>();
  readonly #sweeper: ReturnType<typeof setInterval>;

  constructor(options: IdentityProviderOptions) {
    this.#options = options;
    this.#key = hs256Key(options.secret);
    this.#sweeper = setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  /** Starts a new session for `user` and returns its first token pair. Inputs must be validated already. */
  async login(input: { user: string; scopes: readonly string[]; ttlSec: number }): Promise<TokenSet> {
    if (this.#sessions.size >= MAX_SESSIONS) this.#endSession(this.#sessions.keys().next().value!);
    const session: Session = { id: randomUUID(), subject: input.user, scopes: [...input.scopes], ttlSec: input.ttlSec, tokens: [] };
    this.#sessions.set(session.id, session);
    return this.#issue(session);
  }

  /**
   * Exchanges a refresh token for a new pair; the presented token stops working. Rejects with
   * {@link RefreshError}; for a reused token, only after the session was revoked.
   */
  async refresh(refreshToken: string): Promise<TokenSet> {
    const record = this.#refreshTokens.get(hash(refreshToken));
    if (record === undefined) throw new RefreshError('unknown', 'unknown refresh token');
    const session = this.#sessions.get(record.sessionId);
    if (record.rotated || session === undefined) {
      // Reuse of a rotated token: the legitimate client and an attacker both hold this session. End it.
      const sessionId = record.sessionId;
      this.#endSession(sessionId);
      await this.#options.onSessionCompromised(sessionId);
      throw new RefreshError('reused', 'refresh token already used; the session is revoked');
    }
    if (record.expiresAt <= Date.now()) {
      this.#refreshTokens.delete(record.hash);
      throw new RefreshError('expired', 'refresh token expired');
    }
    // Marked before any await, so two concurrent refreshes with one token cannot both succeed.
    record.rotated = true;
    return this.#issue(session);
  }

  /**
   * Forgets the refresh tokens of a subject's sessions (or of one session), so a revoked user cannot mint new
   * access tokens with them. Returns how many sessions ended.
   */
  endSessions(target: { subject: string } | { sessionId: string }): number {
    if ('sessionId' in target) return this.#endSession(target.sessionId) ? 1 : 0;
    let ended = 0;
    for (const session of [...this.#sessions.values()]) {
      if (session.subject === target.subject && this.#endSession(session.id)) ended++;
    }
    return ended;
  }

  /** Number of live sessions (for tests and metrics). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  close(): void {
    clearInterval(this.#sweeper);
    this.#refreshTokens.clear();
    this.#sessions.clear();
  }

  async #issue(session: Session): Promise<TokenSet> {
    const refreshToken = randomBytes(32).toString('base64url');
    const record: RefreshRecord = {
      hash: hash(refreshToken),
      sessionId: session.id,
      expiresAt: Date.now() + REFRESH_TTL_SEC * 1000,
      rotated: false,
    };
    this.#refreshTokens.set(record.hash, record);
    session.tokens.push(record.hash);
    while (session.tokens.length > MAX_ROTATED_PER_SESSION + 1) this.#refreshTokens.delete(session.tokens.shift()!);
    const { token, expiresAt } = await signAccessToken(this.#key, {
      subject: session.subject,
      scopes: session.scopes,
      ttlSec: session.ttlSec,
      sessionId: session.id,
      tokenId: randomUUID(),
      issuer: this.#options.issuer,
      audience: this.#options.audience,
    });
    return { accessToken: token, refreshToken, expiresAt };
  }

  #endSession(sessionId: string): boolean {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return false;
    for (const tokenHash of session.tokens) this.#refreshTokens.delete(tokenHash);
    this.#sessions.delete(sessionId);
    return true;
  }

  /** Drops expired refresh tokens, and sessions left without a usable one. */
  #sweep(): void {
    const now = Date.now();
    for (const session of [...this.#sessions.values()]) {
      const current = this.#refreshTokens.get(session.tokens[session.tokens.length - 1] ?? '');
      if (current === undefined || current.expiresAt <= now) this.#endSession(session.id);
    }
  }
}

function hash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
