import {
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { isAuthError } from '@sockauth/core';
import { ADMIN_PERMISSION } from '@sockauth/example-chat-common/http-api';
import { SockAuthService } from '@sockauth/nestjs';
import type { IncomingMessage } from 'node:http';

/**
 * `Authorization: Bearer <token with chat:admin>` for the admin endpoints: the same verification as the sockets
 * (signature, claims, revocation, through `SockAuthService.authenticate`), then `chat:admin`. 401 without a valid
 * token (its sockauth code), 403 without the permission, 503 when keys or the store could not decide.
 *
 * @example
 * ```ts
 * @UseGuards(AdminGuard)
 * @Post('revoke')
 * revoke() {}
 * ```
 */
@Injectable()
export class AdminGuard implements CanActivate {
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const header = context.switchToHttp().getRequest<IncomingMessage>().headers.authorization;
    const token = typeof header === 'string' ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)?.[1] : undefined;
    if (token === undefined) {
      throw new UnauthorizedException({ code: 'AUTH_MISSING', message: 'an "Authorization: Bearer" admin token is required' });
    }
    let permitted: boolean;
    try {
      permitted = (await this.sockAuth.authenticate(token)).permissions.has(ADMIN_PERMISSION);
    } catch (error) {
      if (!isAuthError(error)) throw error;
      const body = { code: error.code, message: error.message };
      throw error.code === 'AUTH_UNAVAILABLE' ? new ServiceUnavailableException(body) : new UnauthorizedException(body);
    }
    if (!permitted) throw new ForbiddenException({ code: 'AUTH_FORBIDDEN', message: `"${ADMIN_PERMISSION}" is required` });
    return true;
  }
}
