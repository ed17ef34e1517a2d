import { MAX_DENIED_PERMISSIONS, MAX_PERMISSION_LENGTH } from '@sockauth/example-chat-common/restrictions';
import { ArrayMaxSize, IsArray, IsString, Length } from 'class-validator';

const SUBJECT_RULE = '"subject" must be a non-empty string of at most 1024 characters';
const DENY_RULE = `"deny" must be an array of at most ${MAX_DENIED_PERMISSIONS} non-empty permission strings`;

/**
 * `POST /admin/restrict` `{ subject, deny }`: the permissions withheld from `subject` from now on (`[]` lifts the
 * restriction). The same rules as the Socket.IO example's `parseRestriction`.
 */
export class RestrictDto {
  @IsString({ message: SUBJECT_RULE })
  @Length(1, 1024, { message: SUBJECT_RULE })
  readonly subject!: string;

  @IsArray({ message: DENY_RULE })
  @ArrayMaxSize(MAX_DENIED_PERMISSIONS, { message: DENY_RULE })
  @IsString({ each: true, message: DENY_RULE })
  @Length(1, MAX_PERMISSION_LENGTH, { each: true, message: DENY_RULE })
  readonly deny!: string[];
}
