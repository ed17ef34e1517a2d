import { MAX_USER_LENGTH } from '@sockauth/example-chat-common/http-api';
import { GRANTABLE_SCOPES, MAX_TTL_SEC, MIN_TTL_SEC } from '@sockauth/example-chat-common/identity-provider';
import { IsArray, IsIn, IsInt, IsString, Matches, Max, Min, ValidateIf } from 'class-validator';

const USER_RULE = `"user" must be a non-empty string of at most ${MAX_USER_LENGTH} characters, without control characters`;

/**
 * `POST /auth/login` `{ user, scopes?, ttlSec? }`. The user name ends up in other users' chat messages, so it has
 * no control characters. Only the grantable scopes (`chat:read`, `chat:write`) can be asked for. Absent optional
 * fields take the identity provider's defaults; `null` is not absent (a 400, as in the Socket.IO example).
 */
export class LoginDto {
  @IsString({ message: USER_RULE })
  // Counted in UTF-16 units (no `u` flag), as the Socket.IO example counts `user.length`.
  @Matches(new RegExp(`^[\\s\\S]{1,${MAX_USER_LENGTH}}$`), { message: USER_RULE })
  @Matches(/\S/, { message: USER_RULE })
  @Matches(/^\P{Cc}*$/u, { message: USER_RULE })
  readonly user!: string;

  @ValidateIf((body: LoginDto) => body.scopes !== undefined)
  @IsArray({ message: '"scopes" must be an array of strings' })
  @IsString({ each: true, message: '"scopes" must be an array of strings' })
  @IsIn(GRANTABLE_SCOPES, { each: true, message: `only ${GRANTABLE_SCOPES.join(' and ')} can be granted here` })
  readonly scopes?: string[];

  @ValidateIf((body: LoginDto) => body.ttlSec !== undefined)
  @IsInt({ message: `"ttlSec" must be an integer from ${MIN_TTL_SEC} to ${MAX_TTL_SEC}` })
  @Min(MIN_TTL_SEC, { message: `"ttlSec" must be an integer from ${MIN_TTL_SEC} to ${MAX_TTL_SEC}` })
  @Max(MAX_TTL_SEC, { message: `"ttlSec" must be an integer from ${MIN_TTL_SEC} to ${MAX_TTL_SEC}` })
  readonly ttlSec?: number;
}
