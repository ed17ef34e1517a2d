import type { IncomingMessage } from 'node:http';
import { All, Controller, Header, HttpCode, Inject, Post, Req } from '@nestjs/common';
import { isAuthError } from '@sockauth/core';
import {
  ADMIN_PERMISSION,
  parseLoginRequest,
  parseRevokeRequest,
  readJsonObject,
  revokeOrHttpError,
} from '@sockauth/example-socketio-chat/http-routes';
import {
  RefreshError,
  type DemoIdentityProvider,
  type TokenSet,
} from '@sockauth/example-socketio-chat/identity-provider';
import { SockAuthService } from '@sockauth/nestjs';
import { HttpError, badRequest, methodNotAllowed } from './http-error.js';
import { IDENTITY_PROVIDER } from './tokens.js';

/**
 * The demo identity endpoints (DEMO-CONTRACT "HTTP"): login and refresh through the Socket.IO example's demo
 * identity provider, and revocation through {@link SockAuthService}, which cuts the matching live sockets.
 */
@Controller('auth')
export class AuthController {
  constructor(
    @Inject(IDENTITY_PROVIDER) private readonly idp: DemoIdentityProvider,
    @Inject(SockAuthService) private readonly sockAuth: SockAuthService,
  ) {}

  /** `{ user, scopes?, ttlSec? }` → a token pair. Only `chat:read` and `chat:write` can be granted here. */
  @Post('login')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async login(@Req() req: IncomingMessage): Promise<TokenSet> {
    return this.idp.login(parseLoginRequest(await readJsonObject(req)));
  }

  /** `{ refreshToken }` → a new pair; the presented refresh token stops working (reuse revokes the session). */
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async refresh(@Req() req: IncomingMessage): Promise<TokenSet> {
    const body = await readJsonObject(req);
    const refreshToken = body['refreshToken'];
    if (typeof refreshToken !== 'string' || refreshToken === '' || refreshToken.length > 512) {
      throw badRequest('"refreshToken" must be a non-empty string');
    }
    try {
      return await this.idp.refresh(refreshToken);
    } catch (error) {
      if (!(error instanceof RefreshError)) throw error;
      const code = error.reason === 'reused' ? 'AUTH_REVOKED' : error.reason === 'expired' ? 'AUTH_EXPIRED' : 'AUTH_INVALID';
      throw new HttpError(401, code, error.message);
    }
  }

  /**
   * `Authorization: Bearer <token with chat:admin>` and one of `{ subject }`, `{ sessionId }`, `{ tokenId }` →
   * `{ disconnected }` once the matching live sockets are cut. 401 without a valid token, 403 without chat:admin.
   */
  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async revoke(@Req() req: IncomingMessage): Promise<{ disconnected: number }> {
    await this.#requireAdmin(req);
    const target = parseRevokeRequest(await readJsonObject(req));
    // Refresh tokens go first, so the revoked user cannot mint a replacement while sockets are being cut.
    if (target.tokenId === undefined) this.idp.endSessions(target as { subject: string } | { sessionId: string });
    return revokeOrHttpError(() => this.sockAuth.revoke(target));
  }

  @All(['login', 'refresh', 'revoke'])
  wrongMethod(): never {
    throw methodNotAllowed(['POST']);
  }

  /** The same verification as the sockets (signature, claims, revocation), then `chat:admin`. */
  async #requireAdmin(req: IncomingMessage): Promise<void> {
    const header = req.headers['authorization'];
    const token = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] : undefined;
    if (token === undefined) throw new HttpError(401, 'AUTH_MISSING', 'an "Authorization: Bearer" admin token is required');
    let permitted: boolean;
    try {
      permitted = (await this.sockAuth.authenticate(token)).permissions.has(ADMIN_PERMISSION);
    } catch (error) {
      if (isAuthError(error)) throw new HttpError(error.code === 'AUTH_UNAVAILABLE' ? 503 : 401, error.code, error.message);
      throw error;
    }
    if (!permitted) throw new HttpError(403, 'AUTH_FORBIDDEN', `"${ADMIN_PERMISSION}" is required`);
  }
}
