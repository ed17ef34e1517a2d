import type { ModuleRef } from '@nestjs/core';
import type { JwtService } from '@nestjs/jwt';
import type { CustomVerifyFunction } from '@sockauth/core';

/** A delegated verification: the `verify(token)` for core, and an eager check for module init. */
export interface DelegatedVerify {
  readonly verify: CustomVerifyFunction;
  /** Resolves what `verify` needs now, so configuration mistakes fail the start-up, not the first handshake. */
  readonly resolve: () => Promise<void>;
}

/**
 * A custom `verify(token)` backed by `@nestjs/jwt`'s `JwtService.verifyAsync`, i.e. by the application's
 * `JwtModule` configuration (secret or keys, `verifyOptions`). The service is looked up lazily, anywhere in the
 * application: it may not be instantiated yet when sockauth's verifier is built, and `@nestjs/jwt` is an optional
 * peer dependency, imported only when this option is used. jsonwebtoken's errors (`TokenExpiredError`,
 * `JsonWebTokenError`, `NotBeforeError`) are mapped to sockauth codes by core, by name.
 */
export function jwtServiceVerify(moduleRef: ModuleRef): DelegatedVerify {
  let service: Promise<JwtService> | undefined;
  const resolve = (): Promise<JwtService> => (service ??= resolveJwtService(moduleRef));
  return {
    verify: async (token) => (await resolve()).verifyAsync<Record<string, unknown>>(token),
    resolve: async () => void (await resolve()),
  };
}

async function resolveJwtService(moduleRef: ModuleRef): Promise<JwtService> {
  let JwtServiceClass: typeof JwtService;
  try {
    ({ JwtService: JwtServiceClass } = await import('@nestjs/jwt'));
  } catch {
    throw new Error('sockauth: "useJwtService" needs the @nestjs/jwt package');
  }
  try {
    return moduleRef.get(JwtServiceClass, { strict: false });
  } catch {
    throw new Error('sockauth: "useJwtService" needs JwtModule (from @nestjs/jwt) imported in the application');
  }
}
