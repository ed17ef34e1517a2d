import { ConfigurableModuleBuilder } from '@nestjs/common';
import { SOCKAUTH_MODULE_OPTIONS } from './sockauth.constants.js';
import type { SockAuthModuleOptions } from './sockauth-options.interface.js';

/**
 * Nest's own builder for `forRootAsync` (`useFactory`, `useClass`, `useExisting`, `inject`, `imports`), as
 * `@nestjs/jwt` and `@nestjs/throttler` offer them, feeding the one options token. `global` is an extra of the
 * async form only: `forRoot` keeps it among the options, as it always has. Not public: the module wraps it to keep
 * the options generic over the claims and to refuse a misconfiguration with a TypeError.
 */
export const { ConfigurableModuleClass: SockAuthConfigurableModule } = new ConfigurableModuleBuilder<SockAuthModuleOptions>({
  optionsInjectionToken: SOCKAUTH_MODULE_OPTIONS,
  moduleName: 'SockAuth',
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createSockAuthOptions')
  .setExtras({ global: false }, (definition, extras) => ({ ...definition, global: extras.global === true }))
  .build();
