import { MAX_REFRESH_TOKEN_LENGTH } from '@sockauth/example-chat-common/http-api';
import { IsString, Matches } from 'class-validator';

const RULE = '"refreshToken" must be a non-empty string';

/** `POST /auth/refresh` `{ refreshToken }`: the opaque refresh token `POST /auth/login` (or a refresh) returned. */
export class RefreshDto {
  @IsString({ message: RULE })
  @Matches(new RegExp(`^[\\s\\S]{1,${MAX_REFRESH_TOKEN_LENGTH}}$`), { message: RULE })
  readonly refreshToken!: string;
}
