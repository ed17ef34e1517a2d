import { Inject, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import {
  SockAuthModule,
  type SockAuthModuleAsyncOptions,
  type SockAuthModuleOptions,
  type SockAuthOptionsFactory,
} from '@sockauth/nestjs';
import { closeAll, connectAs } from '@sockauth/testing';
import { startNestApp } from '../../../test/support/nest';
import { ISSUER, SECRET, hs256Verifier, mint } from '../../../test/support/tokens';
import { LobbyGateway } from './fixtures';

afterEach(closeAll);

/** The settings the options are built from, provided by the application's ConfigModule. */
const configModule = ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ jwt: { secret: SECRET, issuer: ISSUER } })] });

@Injectable()
class SockAuthConfig implements SockAuthOptionsFactory {
  constructor(@Inject(ConfigService) private readonly config: ConfigService) {}
  createSockAuthOptions(): SockAuthModuleOptions {
    return {
      verifier: hs256Verifier({ secret: this.config.getOrThrow<string>('jwt.secret'), issuer: this.config.getOrThrow<string>('jwt.issuer') }),
    };
  }
}

/** The same factory, exported by a module of the application, for `useExisting`. */
@Module({ imports: [configModule], providers: [SockAuthConfig], exports: [SockAuthConfig] })
class SockAuthConfigModule {}

/** Starts a real app whose module options come from `async`, and checks it authenticates with them over the wire. */
async function expectAuthenticatesWith(async: SockAuthModuleAsyncOptions): Promise<void> {
  const { url, app } = await startNestApp({ imports: [SockAuthModule.forRootAsync(async)], providers: [LobbyGateway] });
  await expect(connectAs(url, await mint({ sub: 'alice' }, { issuer: 'https://elsewhere.test' }))).toBeRefusedWith('AUTH_INVALID');
  await expect(connectAs(url, undefined)).toBeRefusedWith('AUTH_MISSING');
  const alice = await connectAs(url, await mint({ sub: 'alice' }));
  await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
  expect(app.get(LobbyGateway).connections).toEqual([{ id: alice.id, subject: 'alice' }]);
}

describe('SockAuthModule.forRootAsync', () => {
  test('useFactory with imports and inject', async () => {
    await expectAuthenticatesWith({
      imports: [configModule],
      inject: [ConfigService],
      useFactory: async (config: ConfigService) => ({
        verifier: hs256Verifier({ secret: config.getOrThrow<string>('jwt.secret'), issuer: config.getOrThrow<string>('jwt.issuer') }),
      }),
    });
  });

  test('useClass: the module instantiates the factory class with its own dependencies', async () => {
    await expectAuthenticatesWith({ imports: [configModule], useClass: SockAuthConfig });
  });

  test('useExisting: the factory comes from an imported module', async () => {
    await expectAuthenticatesWith({ imports: [SockAuthConfigModule], useExisting: SockAuthConfig });
  });

  test('global: true with useClass makes SockAuthService injectable in other modules', async () => {
    @Module({ providers: [LobbyGateway] })
    class FeatureModule {}
    const { url } = await startNestApp({
      imports: [SockAuthModule.forRootAsync({ imports: [configModule], useClass: SockAuthConfig, global: true }), FeatureModule],
    });
    const alice = await connectAs(url, await mint({ sub: 'alice' }));
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
  });

  test('the options a factory builds are checked like forRoot options (an unknown key fails the start)', async () => {
    await expect(
      startNestApp({
        imports: [SockAuthModule.forRootAsync({ useFactory: () => ({ verifier: hs256Verifier(), unknownOption: 1 }) as never })],
        providers: [LobbyGateway],
      }),
    ).rejects.toThrow(TypeError);
  });

  describe('a misconfiguration is a TypeError when the module is declared', () => {
    const factory = () => ({ verifier: hs256Verifier() });
    test.each<[string, unknown]>([
      ['none of useFactory, useClass, useExisting', { imports: [configModule] }],
      ['useFactory and useClass', { useFactory: factory, useClass: SockAuthConfig }],
      ['useClass and useExisting', { useClass: SockAuthConfig, useExisting: SockAuthConfig }],
      ['all three', { useFactory: factory, useClass: SockAuthConfig, useExisting: SockAuthConfig }],
      ['a useFactory that is not a function', { useFactory: { verifier: {} } }],
      ['a useClass without createSockAuthOptions()', { useClass: class NotAFactory {} }],
      ['inject without useFactory', { useClass: SockAuthConfig, inject: [ConfigService] }],
      ['an unknown key', { useFactory: factory, isGlobal: true }],
      ['no options at all', undefined],
    ])('%s', (_what, options) => {
      expect(() => SockAuthModule.forRootAsync(options as SockAuthModuleAsyncOptions)).toThrow(TypeError);
    });

    test('the error names the three forms', () => {
      expect(() => SockAuthModule.forRootAsync({} as SockAuthModuleAsyncOptions)).toThrow(/"useFactory", "useClass", "useExisting"/);
    });
  });
});
