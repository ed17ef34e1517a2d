import { BadRequestException, ValidationPipe, type Type, type ValidationError } from '@nestjs/common';

/**
 * Nest's `ValidationPipe` (class-validator DTOs) for one `@Body()`, answering a malformed body with 400
 * `{ error: { code: 'BAD_REQUEST', message } }` (the first broken rule).
 *
 * The DTO is named here (`expectedType`) rather than read from the parameter's type: the demo runs under tsx
 * (esbuild), which emits no decorator metadata, and a global pipe without it would let every body through.
 *
 * @example
 * ```ts
 * @Post('login')
 * login(@Body(validBody(LoginDto)) body: LoginDto) {}
 * ```
 */
export function validBody<T>(dto: Type<T>): ValidationPipe {
  return new ValidationPipe({
    expectedType: dto,
    whitelist: true,
    forbidUnknownValues: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new BadRequestException({ code: 'BAD_REQUEST', message: firstRule(errors) }),
  });
}

function firstRule(errors: readonly ValidationError[]): string {
  for (const error of errors) {
    const message = Object.values(error.constraints ?? {})[0] ?? (error.children && firstRule(error.children));
    if (message) return message;
  }
  return 'body must be a JSON object';
}
