import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import type { RevocationTarget } from '@sockauth/core';
import { revocationTargetOf } from '@sockauth/example-chat-common/http-api';

/**
 * `POST /auth/revoke`'s body → a `RevocationTarget`: exactly one of `subject`, `sessionId`, `tokenId` (core's
 * rule), else 400 `BAD_REQUEST`.
 *
 * @example
 * ```ts
 * revoke(@Body(RevocationTargetPipe) target: RevocationTarget) {}
 * ```
 */
@Injectable()
export class RevocationTargetPipe implements PipeTransform<unknown, RevocationTarget> {
  transform(body: unknown): RevocationTarget {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException({ code: 'BAD_REQUEST', message: 'body must be a JSON object' });
    }
    try {
      return revocationTargetOf(body as Record<string, unknown>);
    } catch (error) {
      throw new BadRequestException({ code: 'BAD_REQUEST', message: (error as Error).message });
    }
  }
}
