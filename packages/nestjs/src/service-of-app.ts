import type { INestApplicationContext } from '@nestjs/common';
import { SockAuthService } from './sockauth.service.js';

/** Whether `value` is a Nest application (context), as opposed to an HTTP server given to an adapter. */
export function isApplicationContext(value: unknown): value is INestApplicationContext {
  return typeof (value as INestApplicationContext | undefined)?.get === 'function' && typeof (value as INestApplicationContext).select === 'function';
}

/**
 * The application's {@link SockAuthService}, for an adapter built before the module was initialised; an `Error`
 * naming the adapter when the application has no `SockAuthModule` (its gateways would be unauthenticated).
 */
export function serviceOfApp(app: INestApplicationContext | undefined, adapter: string): SockAuthService {
  let service: SockAuthService | undefined;
  if (app !== undefined) {
    try {
      service = app.get(SockAuthService, { strict: false });
    } catch {
      service = undefined;
    }
  }
  if (service === undefined) {
    throw new Error(`sockauth: ${adapter} needs SockAuthModule.forRoot() (or forRootAsync()) in the application`);
  }
  return service;
}
