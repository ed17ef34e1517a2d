import { All, BadRequestException, Body, Controller, Header, HttpCode, Inject, Post, ServiceUnavailableException, UseGuards } from '@nestjs/common';
import type { RestrictionRegistry } from '@sockauth/example-chat-common/restrictions';
import { SockAuthService } from '@sockauth/nestjs';
import { AdminGuard } from './admin.guard.js';
import { MethodNotAllowedException } from './api-exception.filter.js';
import { validBody } from './body-validation.pipe.js';
import { RestrictDto } from './dto/restrict.dto.js';
import { sockauthHttpException } from './sockauth-http.exception.js';
import { RESTRICTIONS } from './tokens.js';

/**
 * `POST /admin/restrict` (DEMO-CONTRACT "Rooms follow current authorization"): `chat:admin` ({@link AdminGuard},
 * 401/403), the body validated by a DTO (400), the restriction stored (shared by every node with `REDIS_URL`),
 * then `SockAuthService.reevaluate({ subject })`, which re-runs the claims mapping (which reads the restrictions)
 * and the room policy for the subject's live sockets on every node, and evicts them from rooms they may no longer
 * be in.
 */
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(RESTRICTIONS) private readonly restrictions: RestrictionRegistry,
    @Inject(SockAuthService) private readonly sockAuth: SockAuthService,
  ) {}

  /** `{ subject, deny }` → `{ affected }` once the subject's live sockets were re-evaluated. */
  @Post('restrict')
  @HttpCode(200)
  @Header('Cache-Control', 'no-store')
  @UseGuards(AdminGuard)
  async restrict(@Body(validBody(RestrictDto)) { subject, deny }: RestrictDto): Promise<{ affected: number }> {
    try {
      await this.restrictions.restrict(subject, [...new Set(deny)]);
    } catch (error) {
      if (error instanceof RangeError) throw new BadRequestException({ code: 'BAD_REQUEST', message: error.message });
      // REDIS_URL: not stored; nothing changed for the subject's sockets. The admin retries.
      throw new ServiceUnavailableException({ code: 'AUTH_UNAVAILABLE', message: 'the restriction could not be stored, retry' });
    }
    try {
      return await this.sockAuth.reevaluate({ subject });
    } catch (error) {
      throw sockauthHttpException(error);
    }
  }

  @All('restrict')
  wrongMethod(): never {
    throw new MethodNotAllowedException(['POST']);
  }
}
