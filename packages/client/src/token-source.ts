import { authErrorFromPayload, isAuthError, type AuthError } from '@sockauth/core/errors';
import type { ResolvedOptions } from './options.js';
import { readTokenTimes } from './token.js';

/** A token the client knows, with its lifetime as far as it can tell. */
export interface TokenInfo {
  readonly token: string;
  readonly expiresAt: number | undefined;
  readonly issuedAtSec: number | undefined;
}

function toTokenInfo(value: unknown, source: string): TokenInfo | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    const times = readTokenTimes(value);
    return { token: value, expiresAt: times.expiresAt, issuedAtSec: times.issuedAtSec };
  }
  if (typeof value === 'object' && typeof (value as { token?: unknown }).token === 'string') {
    const { token, expiresAt } = value as { token: string; expiresAt?: unknown };
    if (token === '') return undefined;
    const times = readTokenTimes(token);
    const given = typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? expiresAt : undefined;
    return { token, expiresAt: given ?? times.expiresAt, issuedAtSec: times.issuedAtSec };
  }
  throw new TypeError(`sockauth client: ${source} must return a token string or { token, expiresAt? }`);
}

/** An error thrown by the app's `refresh()`, as an AuthError when it carries a sockauth code. */
export function toAuthError(error: unknown): AuthError | undefined {
  if (isAuthError(error)) return error;
  return authErrorFromPayload(error);
}

/**
 * The tokens the client knows, and where they come from: the app's `getToken()` and `refresh()`. `refresh()` is
 * never called twice at once (rotating refresh tokens would be seen as reused), and the last token it returned is
 * kept for the next handshake in case the app did not store it.
 */
export class TokenSource {
  #fetching: Promise<TokenInfo> | undefined;
  #fresh: TokenInfo | undefined;
  /** The token presented at the last handshake. */
  #presented: TokenInfo | undefined;
  /** The token the server holds for this connection (handshake or last accepted `auth:refresh`). */
  #inForce: TokenInfo | undefined;

  constructor(
    private readonly options: ResolvedOptions,
    /** Called with the `iat` of every fresh token (a clock estimate). */
    private readonly issued: (issuedAtSec: number) => void,
  ) {}

  /** The last token `refresh()` returned, unless forgotten. */
  get fresh(): TokenInfo | undefined {
    return this.#fresh;
  }

  /** The `refresh()` call under way, if any. */
  get fetching(): Promise<TokenInfo> | undefined {
    return this.#fetching;
  }

  /** The token presented at the last handshake. */
  get presented(): TokenInfo | undefined {
    return this.#presented;
  }

  /** The token the server holds for this connection. */
  get inForce(): TokenInfo | undefined {
    return this.#inForce;
  }

  /** The handshake was accepted: the token it presented is in force. */
  handshakeAccepted(): TokenInfo | undefined {
    return (this.#inForce = this.#presented);
  }

  /** The server accepted `info` in band. */
  accepted(info: TokenInfo): void {
    this.#inForce = info;
  }

  /**
   * Gets the token for a handshake and `send`s it (`undefined` when none could be had: the server then refuses
   * with AUTH_MISSING and the taxonomy takes it from there), unless `current()` says the handshake was abandoned.
   */
  present(send: (token: string | undefined) => void, current: () => boolean): void {
    this.forHandshake().then(
      (info) => {
        if (!current()) return;
        this.#presented = info;
        send(info?.token);
      },
      () => {
        if (!current()) return;
        this.#presented = undefined;
        send(undefined);
      },
    );
  }

  /** Drops the fresh token: it belongs to a session that ended. */
  forget(): void {
    this.#fresh = undefined;
  }

  /** Calls the app's `refresh()`, or joins the call under way. */
  fetch(): Promise<TokenInfo> {
    if (this.#fetching !== undefined) return this.#fetching;
    const fetching: Promise<TokenInfo> = Promise.resolve()
      .then(() => this.options.refresh())
      .then((result) => {
        const info = toTokenInfo(result, 'refresh()');
        if (info === undefined) throw new TypeError('sockauth client: refresh() returned no token');
        if (info.issuedAtSec !== undefined) this.issued(info.issuedAtSec);
        this.#fresh = info;
        return info;
      })
      .finally(() => {
        if (this.#fetching === fetching) this.#fetching = undefined;
      });
    this.#fetching = fetching;
    return fetching;
  }

  /**
   * The token for a handshake: the app's (`getToken()`), unless `refresh()` returned a later one that the app did
   * not store; `refresh()` itself when there is neither.
   */
  async forHandshake(): Promise<TokenInfo | undefined> {
    const getToken = this.options.getToken;
    const fromApp = getToken === undefined ? undefined : toTokenInfo(await getToken(), 'getToken()');
    const fresh = this.#fresh;
    if (fresh !== undefined) {
      if (fromApp === undefined || fresh.token === fromApp.token) return fresh;
      if (fresh.expiresAt !== undefined && fromApp.expiresAt !== undefined && fresh.expiresAt > fromApp.expiresAt) return fresh;
    }
    if (fromApp !== undefined || getToken !== undefined) return fromApp;
    return this.fetch();
  }
}
