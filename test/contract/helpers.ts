import { randomUUID } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { connect, type ClientSocket } from '../support/clients';
import { mint as mintToken, nowSec } from '../support/tokens';
import { CONTRACT_AUDIENCE, CONTRACT_ISSUER, CONTRACT_SECRET } from './servers';

/** What the token endpoints return. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
}

/** An HTTP answer: status, headers and the body parsed as JSON when it is JSON. */
export interface Answer<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

async function answer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // Left as text: the assertion on it will say what came back.
    }
  }
  return { status: response.status, headers: response.headers, body };
}

/** POSTs `body` (an object as JSON, a string as is) to `url + path`. */
export async function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return answer(response);
}

export async function get(url: string, path: string): Promise<Answer> {
  return answer(await fetch(url + path));
}

/** A user name no other test uses, so subject-wide revocations never touch another test's sockets. */
export function uniqueUser(prefix = 'user'): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function uniqueRoom(): string {
  return `room-${randomUUID().slice(0, 8)}`;
}

/** `POST /auth/login`; fails the test unless it answers 200. */
export async function login(
  url: string,
  user: string,
  options: { scopes?: string[]; ttlSec?: number } = {},
): Promise<TokenSet> {
  const { status, body } = await post(url, '/auth/login', {
    user,
    scopes: options.scopes ?? ['chat:read', 'chat:write'],
    ttlSec: options.ttlSec ?? 60,
  });
  if (status !== 200) throw new Error(`login of ${user} answered ${status}: ${JSON.stringify(body)}`);
  return body as TokenSet;
}

/** `POST /auth/refresh`; fails the test unless it answers 200. */
export async function refresh(url: string, refreshToken: string): Promise<TokenSet> {
  const { status, body } = await post(url, '/auth/refresh', { refreshToken });
  if (status !== 200) throw new Error(`refresh answered ${status}: ${JSON.stringify(body)}`);
  return body as TokenSet;
}

export { nowSec };

export interface MintOptions {
  readonly ttlSec?: number;
  readonly exp?: number;
  readonly nbf?: number;
  /** `iat` in seconds (default now): re-auths order tokens by it. */
  readonly iat?: number;
  readonly secret?: string;
  readonly issuer?: string;
  readonly audience?: string;
}

/**
 * Mints an HS256 token the way an operator would with `JWT_SECRET` (default: the suite's secret, the demo's
 * default `iss`/`aud`), with the suites' one token helper.
 */
export function mint(claims: JWTPayload, options: MintOptions = {}): Promise<string> {
  return mintToken(claims, {
    ...options,
    secret: options.secret ?? CONTRACT_SECRET,
    issuer: options.issuer ?? CONTRACT_ISSUER,
    audience: options.audience ?? CONTRACT_AUDIENCE,
  });
}

/** Tokens every demo must refuse `AUTH_INVALID`: malformed, foreign-signed, wrong issuer, wrong audience, no `sub`. */
export async function invalidTokens(): Promise<string[]> {
  return [
    'garbage',
    await mint({ sub: 'eve' }, { secret: 'another-secret-that-is-at-least-32-bytes-long' }),
    await mint({ sub: 'eve' }, { issuer: 'someone-else' }),
    await mint({ sub: 'eve' }, { audience: 'someone-else' }),
    await mint({ scope: 'chat:read' }),
  ];
}

/** `POST /auth/revoke` with `body`, and `token` as the bearer when given. */
export function postRevoke(url: string, body: unknown, token?: string): Promise<Answer> {
  return post(url, '/auth/revoke', body, token === undefined ? {} : { authorization: `Bearer ${token}` });
}

/** A `chat:admin` token for `POST /auth/revoke` and `admin:announce`. */
export function adminToken(subject = uniqueUser('root')): Promise<string> {
  return mint({ sub: subject, scope: 'chat:admin' });
}

/** Connects a tracked client with `token` in `auth.token`. */
export function connectWith(url: string, token: string): Promise<ClientSocket> {
  return connect(url, { auth: { token } });
}

/** Emits `event` with an ack and a 5 s timeout, so a missing ack fails with a clear error. */
export function ask<T = any>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(5_000).emitWithAck(event, ...args) as Promise<T>;
}
