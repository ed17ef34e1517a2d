import { InternalServerErrorException, ServiceUnavailableException, type HttpException } from '@nestjs/common';
import { isAuthError } from '@sockauth/core';

/**
 * The HTTP answer to a sockauth operation that failed (`revoke`, `reevaluate`): 503 when a shared store
 * (`REDIS_URL`) could not confirm it (the admin retries: both are idempotent), 500 for any other sockauth error.
 * Anything else is rethrown as is.
 *
 * @example
 * ```ts
 * try { return await this.sockAuth.revoke(target); } catch (error) { throw sockauthHttpException(error); }
 * ```
 */
export function sockauthHttpException(error: unknown): HttpException {
  if (!isAuthError(error)) throw error;
  const body = { code: error.code, message: error.message };
  return error.code === 'AUTH_UNAVAILABLE' ? new ServiceUnavailableException(body) : new InternalServerErrorException(body);
}
