import type { IncomingMessage, ServerResponse } from 'node:http';
import { createAuthContext, isAuthError, type AuthErrorCode, type RevocationStore, type RevocationTarget, type Verifier } from '@sockauth/core';
import {
  ADMIN_PERMISSION,
  MAX_BODY_BYTES,
  MAX_REFRESH_TOKEN_LENGTH,
  MAX_USER_LENGTH,
  authErrorStatus,
  revocationTargetOf,
  type HttpErrorCode,
} from '@sockauth/example-chat-common/http-api';
import {
  DEFAULT_SCOPES,
  DEFAULT_TTL_SEC,
  GRANTABLE_SCOPES,
  MAX_TTL_SEC,
  MIN_TTL_SEC,
  RefreshError,
  type DemoIdentityProvider,
} from '@sockauth/example-chat-common/identity-provider';
import { PAGE_CSP, PAGE_SCRIPT_PATH } from '@sockauth/example-chat-common/page';
import { parseRestriction, restrictedMapClaims, type RestrictionRegistry } from '@sockauth/example-chat-common/restrictions';

/** An HTTP error with the code and safe message the client sees as `{ error: { code, message } }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string): HttpError => new HttpError(400, 'BAD_REQUEST', message);

/**
 * What the routes need from the demo's sockauth adapter, whatever its transport (`@sockauth/socket.io`'s
 * `SockAuth`, `@sockauth/ws`'s `WsAuth`): the verifier and store that admin tokens are checked with (the same as
 * the sockets'), and the revocation that cuts the matching live connections.
 */
export interface HttpAuth {
  readonly verifier: Pick<Verifier, 'verify'>;
  readonly revocationStore: Pick<RevocationStore, 'isRevoked'>;
  revoke(target: RevocationTarget): Promise<{ disconnected: number }>;
  /** Re-evaluates the live connections of a target on every node (`POST /admin/restrict`). */
  reevaluate(target: RevocationTarget): Promise<{ affected: number }>;
}

export interface HttpRoutesOptions {
  readonly idp: DemoIdentityProvider;
  readonly auth: HttpAuth;
  /** The browser page served at `GET /`. */
  readonly indexHtml: Buffer;
  /** The page's bundled script, served at `GET /app.js`. */
  readonly pageScript: Buffer;
  /** `POST /admin/restrict`'s restrictions (the same registry the sockets' `mapClaims` reads). */
  readonly restrictions: RestrictionRegistry;
  /** A prom-client registry served at `GET /metrics` (Prometheus text format), when given. */
  readonly metrics?: { metrics(): Promise<string>; readonly contentType: string };
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * The plain `node:http` request handler of the demo: `GET /` (and its script, `GET /app.js`), `POST /auth/login`,
 * `POST /auth/refresh`, `POST /auth/revoke`, `POST /admin/restrict`; 404 for unknown paths, 405 for known paths with
 * the wrong method. The demo's WebSocket server (Socket.IO's `/socket.io/`, plain `ws` upgrades) answers before this
 * handler sees anything. Errors are `{ error: { code, message } }`;
 * tokens are never logged or echoed.
 */
export function createHttpHandler(options: HttpRoutesOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const routes: Record<string, { method: string; handle: Route }> = {
    '/': { method: 'GET', handle: async (req, res) => sendPage(req, res, options.indexHtml) },
    [PAGE_SCRIPT_PATH]: { method: 'GET', handle: async (req, res) => sendScript(req, res, options.pageScript) },
    '/auth/login': { method: 'POST', handle: (req, res) => login(req, res, options) },
    '/auth/refresh': { method: 'POST', handle: (req, res) => refresh(req, res, options) },
    '/auth/revoke': { method: 'POST', handle: (req, res) => revoke(req, res, options) },
    '/admin/restrict': { method: 'POST', handle: (req, res) => restrict(req, res, options) },
  };
  const metrics = options.metrics;
  if (metrics !== undefined) routes['/metrics'] = { method: 'GET', handle: async (req, res) => sendMetrics(req, res, metrics) };
  return (req, res) => {
    const path = pathOf(req.url);
    const route = path === undefined ? undefined : routes[path];
    const run = async (): Promise<void> => {
      if (route === undefined) throw new HttpError(404, 'NOT_FOUND', 'no such route');
      const allowed = route.method === 'GET' ? ['GET', 'HEAD'] : [route.method];
      if (!allowed.includes(req.method ?? '')) {
        res.setHeader('Allow', allowed.join(', '));
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${allowed.join(' or ')}`);
      }
      await route.handle(req, res);
    };
    run().catch((error: unknown) => {
      const httpError =
        error instanceof HttpError ? error : new HttpError(500, 'INTERNAL', 'internal error');
      // Do not keep reading an oversized body: answer and close the connection.
      if (httpError.status === 413 && !res.headersSent) res.setHeader('Connection', 'close');
      if (!(error instanceof HttpError)) {
        // Only the name: messages of unexpected errors could in theory carry request data.
        process.stderr.write(`http: unexpected ${(error as Error)?.name ?? 'error'} on ${req.method} ${path}\n`);
      }
      sendJson(res, httpError.status, { error: { code: httpError.code, message: httpError.message } });
    });
  };
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

function sendPage(req: IncomingMessage, res: ServerResponse, html: Buffer): void {
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': html.byteLength,
    'Cache-Control': 'no-store',
    // The page only loads its own script (no inline code) and talks to its own origin.
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : html);
}

/**
 * `GET /metrics`. Open, as befits a local demo: in production, serve metrics on an internal port or behind
 * authentication (they reveal traffic, not tokens).
 */
async function sendMetrics(req: IncomingMessage, res: ServerResponse, metrics: NonNullable<HttpRoutesOptions['metrics']>): Promise<void> {
  const text = Buffer.from(await metrics.metrics(), 'utf8');
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': text.byteLength, 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : text);
}

function sendScript(req: IncomingMessage, res: ServerResponse, script: Buffer): void {
  res.writeHead(200, {
    'Content-Type': 'text/javascript; charset=utf-8',
    'Content-Length': script.byteLength,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : script);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}

/** Reads a JSON object body of at most {@link MAX_BODY_BYTES}. Any content type is read as JSON. */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('body must be JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
  return body as Record<string, unknown>;
}

// --- POST /auth/login ----------------------------------------------------------------------------------------

async function login(req: IncomingMessage, res: ServerResponse, { idp }: HttpRoutesOptions): Promise<void> {
  sendJson(res, 200, await idp.login(parseLoginRequest(await readJsonObject(req))));
}

/**
 * Validates a `POST /auth/login` body: `user` (no control characters: the name ends up in other users' chat
 * messages), optional `scopes` (only the grantable ones) and `ttlSec`. Throws a 400 {@link HttpError}.
 */
export function parseLoginRequest(body: Record<string, unknown>): { user: string; scopes: readonly string[]; ttlSec: number } {
  const user = body['user'];
  if (typeof user !== 'string' || user.trim() === '' || user.length > MAX_USER_LENGTH || /\p{Cc}/u.test(user)) {
    throw badRequest(`"user" must be a non-empty string of at most ${MAX_USER_LENGTH} characters`);
  }
  let scopes = DEFAULT_SCOPES;
  if (body['scopes'] !== undefined) {
    const requested = body['scopes'];
    if (!Array.isArray(requested) || !requested.every((scope) => typeof scope === 'string')) {
      throw badRequest('"scopes" must be an array of strings');
    }
    const refused = requested.filter((scope) => !GRANTABLE_SCOPES.includes(scope));
    if (refused.length > 0) throw badRequest(`only ${GRANTABLE_SCOPES.join(' and ')} can be granted here`);
    scopes = [...new Set(requested as string[])];
  }
  let ttlSec = DEFAULT_TTL_SEC;
  if (body['ttlSec'] !== undefined) {
    const requested = body['ttlSec'];
    if (!Number.isSafeInteger(requested) || (requested as number) < MIN_TTL_SEC || (requested as number) > MAX_TTL_SEC) {
      throw badRequest(`"ttlSec" must be an integer from ${MIN_TTL_SEC} to ${MAX_TTL_SEC}`);
    }
    ttlSec = requested as number;
  }
  return { user, scopes, ttlSec };
}

// --- POST /auth/refresh --------------------------------------------------------------------------------------

async function refresh(req: IncomingMessage, res: ServerResponse, { idp }: HttpRoutesOptions): Promise<void> {
  const body = await readJsonObject(req);
  const refreshToken = body['refreshToken'];
  if (typeof refreshToken !== 'string' || refreshToken === '' || refreshToken.length > MAX_REFRESH_TOKEN_LENGTH) {
    throw badRequest('"refreshToken" must be a non-empty string');
  }
  try {
    sendJson(res, 200, await idp.refresh(refreshToken));
  } catch (error) {
    if (!(error instanceof RefreshError)) throw error;
    const code: AuthErrorCode =
      error.reason === 'reused' ? 'AUTH_REVOKED' : error.reason === 'expired' ? 'AUTH_EXPIRED' : 'AUTH_INVALID';
    throw new HttpError(401, code, error.message);
  }
}

// --- POST /auth/revoke ---------------------------------------------------------------------------------------

async function revoke(req: IncomingMessage, res: ServerResponse, { auth, idp, restrictions }: HttpRoutesOptions): Promise<void> {
  await requireAdmin(req, auth, restrictions);
  const target = parseRevokeRequest(await readJsonObject(req));
  // Refresh tokens go first, so the revoked user cannot mint a replacement while sockets are being cut.
  if (target.tokenId === undefined) idp.endSessions(target as { subject: string } | { sessionId: string });
  sendJson(res, 200, await sockauthOrHttpError(() => auth.revoke(target)));
}

/**
 * Validates a `POST /auth/revoke` body: exactly one of `subject`, `sessionId`, `tokenId` (core's own rule,
 * `parseRevocationTarget`). Throws a 400 {@link HttpError}.
 */
export function parseRevokeRequest(body: Record<string, unknown>): RevocationTarget {
  try {
    return revocationTargetOf(body);
  } catch (error) {
    throw badRequest((error as Error).message);
  }
}

/**
 * Runs a revocation or a re-evaluation; a shared store (REDIS_URL) that could not confirm it becomes 503 (the admin
 * retries: both are idempotent), any other sockauth error 500.
 */
export async function sockauthOrHttpError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isAuthError(error)) throw new HttpError(error.code === 'AUTH_UNAVAILABLE' ? 503 : 500, error.code, error.message);
    throw error;
  }
}

// --- POST /admin/restrict -------------------------------------------------------------------------------------

/**
 * `{ subject, deny }`: from now on `deny` is withheld from `subject` (replacing an earlier restriction; `[]` lifts
 * it), then the subject's live sockets are re-evaluated on every node: `{ affected }` once they were.
 */
async function restrict(req: IncomingMessage, res: ServerResponse, { auth, restrictions }: HttpRoutesOptions): Promise<void> {
  await requireAdmin(req, auth, restrictions);
  let restriction: ReturnType<typeof parseRestriction>;
  try {
    restriction = parseRestriction(await readJsonObject(req));
  } catch (error) {
    throw error instanceof TypeError ? badRequest(error.message) : error;
  }
  try {
    await restrictions.restrict(restriction.subject, restriction.deny);
  } catch (error) {
    if (error instanceof RangeError) throw badRequest(error.message);
    // REDIS_URL: the restriction could not be stored; nothing changed for the subject's sockets. The admin retries.
    throw new HttpError(503, 'AUTH_UNAVAILABLE', 'the restriction could not be stored, retry');
  }
  sendJson(res, 200, await sockauthOrHttpError(() => auth.reevaluate({ subject: restriction.subject })));
}

/** `Authorization: Bearer <token>` with `chat:admin` (after restrictions), checked by the same verifier as the sockets. */
async function requireAdmin(req: IncomingMessage, auth: HttpAuth, restrictions: RestrictionRegistry): Promise<void> {
  const header = req.headers['authorization'];
  const token = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] : undefined;
  if (token === undefined) throw new HttpError(401, 'AUTH_MISSING', 'an "Authorization: Bearer" admin token is required');
  let permitted: boolean;
  try {
    const { payload } = await auth.verifier.verify(token);
    // A restricted admin is restricted here too.
    const context = createAuthContext(payload, 1, restrictedMapClaims(restrictions));
    // A revoked admin token must not keep revoking others.
    if (await auth.revocationStore.isRevoked(context)) throw new HttpError(401, 'AUTH_REVOKED', 'token revoked');
    permitted = context.permissions.has(ADMIN_PERMISSION);
  } catch (error) {
    if (error instanceof HttpError) throw error;
    if (isAuthError(error)) throw new HttpError(authErrorStatus(error.code), error.code, error.message);
    throw error;
  }
  if (!permitted) throw new HttpError(403, 'AUTH_FORBIDDEN', `"${ADMIN_PERMISSION}" is required`);
}
