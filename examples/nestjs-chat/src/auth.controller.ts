import {
  All,
  Body,
  Controller,
  Header,
  HttpCode,
  Inject,
  Post,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import type { RevocationTarget } from '@sockauth/core';
import {
  DEFAULT_SCOPES,
  DEFAULT_TTL_SEC,
  RefreshError,
  type DemoIdentityProvider,
  type TokenSet,
} from '@sockauth/example-chat-common/identity-provider';
import { SockAuthService } from '@sockauth/nestjs';
import { AdminGuard } from './admin.guard.js';
import { MethodNotAllowedException } from './api-exception.filter.js';
import { validBody } from './body-validation.pipe.js';
import { LoginDto } from './dto/login.dto.js';
import { RefreshDto } from './dto/refresh.dto.js';
import { RevocationTargetPipe } from './revocation-target.pipe.js';
import { sockauthHttpException } from './sockauth-http.exception.js';
import { IDENTITY_PROVIDER } from './tokens.js';

/**
 * The demo identity endpoints (DEMO-CONTRACT "HTTP"): login and refresh through the shared demo identity
 * provider, and revocation through {@link SockAuthService}, which cuts the matching live sockets. Bodies arrive
 * through Nest's JSON body parser and are validated by pipes (400 `BAD_REQUEST`); errors are `HttpException`s
 * that `ApiExceptionFilter` renders as `{ error: { code, message } }`.
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
  login(@Body(validBody(LoginDto)) body: LoginDto): Promise<TokenSet> {
    return this.idp.login({
      user: body.user,
      scopes: body.scopes === undefined ? DEFAULT_SCOPES : [...new Set(body.scopes)],
      ttlSec: body.ttlSec ?? DEFAULT_TTL_SEC,
    });
  }

  /** `{ refreshToken }` → a new pair; the presented refresh token stops working (reuse revokes the session). */
  @Post('refresh')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  async refresh(@Body(validBody(RefreshDto)) { refreshToken }: RefreshDto): Promise<TokenSet> {
    try {
      return await this.idp.refresh(refreshToken);
    } catch (error) {
      if (!(error instanceof RefreshError)) throw error;
      const code = error.reason === 'reused' ? 'AUTH_REVOKED' : error.reason === 'expired' ? 'AUTH_EXPIRED' : 'AUTH_INVALID';
      throw new UnauthorizedException({ code, message: error.message });
    }
  }

  /**
   * `Authorization: Bearer <token with chat:admin>` ({@link AdminGuard}) and one of `{ subject }`, `{ sessionId }`,
   * `{ tokenId }` → `{ disconnected }` once the matching live sockets are cut.
   */
  @Post('revoke')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseGuards(AdminGuard)
  async revoke(@Body(RevocationTargetPipe) target: RevocationTarget): Promise<{ disconnected: number }> {
    // Refresh tokens go first, so the revoked user cannot mint a replacement while sockets are being cut.
    if (target.tokenId === undefined) this.idp.endSessions(target as { subject: string } | { sessionId: string });
    try {
      return await this.sockAuth.revoke(target);
    } catch (error) {
      throw sockauthHttpException(error);
    }
  }

  @All(['login', 'refresh', 'revoke'])
  wrongMethod(): never {
    throw new MethodNotAllowedException(['POST']);
  }
}
