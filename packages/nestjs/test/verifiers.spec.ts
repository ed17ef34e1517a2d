import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { SockAuthModule } from '@sockauth/nestjs';
import { closeAll, connectAs } from '@sockauth/testing';
import { createNestApp, startNestApp } from '../../../test/support/nest';
import { AUDIENCE, ISSUER, SECRET, hs256Verifier, mint, nowSec } from '../../../test/support/tokens';
import { ChatGateway, JwtStrategy, LobbyGateway, ProfileController, ProfileGateway } from './fixtures';

afterEach(closeAll);

const forbidden = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };

describe('passport-jwt strategy reuse', () => {
  async function start() {
    return startNestApp({
      imports: [PassportModule, SockAuthModule.forRoot({ passport: { strategy: JwtStrategy } })],
      controllers: [ProfileController],
      providers: [JwtStrategy, ProfileGateway],
    });
  }

  test('sockets authenticate with the strategy and carry what validate() returned as the user', async () => {
    const { url } = await start();
    const alice = await connectAs(url, await mint({ sub: 'alice', name: 'Alice', scope: 'chat:write' }));
    await expect(alice.emitWithAck('me')).resolves.toEqual({ id: 'alice', name: 'Alice', roles: ['member'] });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice', permissions: ['chat:write'], version: 1 });
    await expect(alice.emitWithAck('chat:send', {})).resolves.toEqual({ ok: true });
  });

  test('HTTP and WebSocket share one definition of the user', async () => {
    const { url } = await start();
    const token = await mint({ sub: 'alice', name: 'Alice' });
    const response = await fetch(`${url}/profile`, { headers: { authorization: `Bearer ${token}` } });
    const overHttp = await response.json();
    const socket = await connectAs(url, token);
    await expect(socket.emitWithAck('me')).resolves.toEqual(overHttp);
  });

  test('the strategy’s own extractor runs on the handshake', async () => {
    const { url } = await start();
    const token = await mint({ sub: 'bob' });
    // Neither auth.token nor Authorization: only the strategy's fromHeader('x-access-token') finds it.
    const bob = await connectAs(url, undefined, { extraHeaders: { 'x-access-token': token } });
    await expect(bob.emitWithAck('me')).resolves.toMatchObject({ id: 'bob' });
  });

  test('tokens the strategy rejects are refused with AUTH_INVALID or AUTH_EXPIRED', async () => {
    const { url } = await start();
    await expect(connectAs(url, 'garbage')).rejects.toMatchObject({ code: 'AUTH_INVALID', action: 'login' });
    await expect(connectAs(url, await mint({ sub: 'alice' }, { secret: 'not-the-strategy-secret-0123456789abcdef' }))).toBeRefusedWith('AUTH_INVALID');
    await expect(connectAs(url, await mint({ sub: 'alice' }, { audience: 'someone-else' }))).toBeRefusedWith('AUTH_INVALID');
    await expect(connectAs(url, await mint({ sub: 'alice' }, { exp: nowSec() - 60 }))).rejects.toMatchObject({ code: 'AUTH_EXPIRED', action: 'refresh' });
    await expect(connectAs(url, undefined)).toBeRefusedWith('AUTH_MISSING');
  });

  test('validate() returning null or throwing UnauthorizedException refuses the handshake', async () => {
    const { url } = await start();
    await expect(connectAs(url, await mint({ sub: 'ghost-1' }))).rejects.toMatchObject({ code: 'AUTH_INVALID', action: 'login' });
    await expect(connectAs(url, await mint({ sub: 'banned-1' }))).rejects.toMatchObject({ code: 'AUTH_INVALID', action: 'login' });
  });

  test('validate() failing for another reason refuses with AUTH_UNAVAILABLE: nothing was decided', async () => {
    const { url } = await start();
    await expect(connectAs(url, await mint({ sub: 'flaky-1' }))).rejects.toMatchObject({ code: 'AUTH_UNAVAILABLE', action: 'retry' });
  });

  test('re-authentication goes through the strategy too and refreshes the user', async () => {
    const { url } = await start();
    const alice = await connectAs(url, await mint({ sub: 'alice', name: 'Alice' }, { iat: nowSec() - 5 }));
    const ack = await alice.emitWithAck('auth:refresh', { token: await mint({ sub: 'alice', name: 'Alice Cooper' }) });
    expect(ack).toEqual({ ok: true, expiresAt: expect.any(Number), version: 2 });
    await expect(alice.emitWithAck('me')).resolves.toEqual({ id: 'alice', name: 'Alice Cooper', roles: ['member'] });
    const refused = await alice.emitWithAck('auth:refresh', { token: await mint({ sub: 'ghost-alice' }) });
    expect(refused).toEqual({ ok: false, error: { code: 'AUTH_INVALID', action: 'login', message: expect.any(String) } });
  });

  test('a strategy that is not a provider of the application fails the start-up', async () => {
    const app = await createNestApp({
      imports: [SockAuthModule.forRoot({ passport: { strategy: JwtStrategy } })],
      providers: [LobbyGateway],
    });
    await expect(app.init()).rejects.toThrow(/JwtStrategy is not a provider/);
  });
});

describe('@nestjs/jwt JwtService as the verifier', () => {
  const jwtModule = JwtModule.register({
    secret: SECRET,
    signOptions: { expiresIn: '1m', issuer: ISSUER, audience: AUDIENCE },
    verifyOptions: { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] },
  });

  async function start() {
    const started = await startNestApp({
      imports: [jwtModule, SockAuthModule.forRoot({ useJwtService: true })],
      providers: [ChatGateway],
    });
    return { ...started, jwt: started.app.get(JwtService) };
  }

  test('tokens signed by the application’s JwtService authenticate sockets', async () => {
    const { url, jwt } = await start();
    const token = await jwt.signAsync({ sub: 'alice', scope: 'chat:read' });
    const alice = await connectAs(url, token);
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice', permissions: ['chat:read'] });
    await expect(alice.emitWithAck('chat:send', { text: 'x' })).resolves.toEqual(forbidden);
  });

  test('the JwtModule configuration decides: wrong secret, issuer or expiry are refused with their codes', async () => {
    const { url } = await start();
    await expect(connectAs(url, await mint({ sub: 'alice' }, { secret: 'not-the-module-secret-0123456789abcdef' }))).rejects.toMatchObject({ code: 'AUTH_INVALID', action: 'login' });
    await expect(connectAs(url, await mint({ sub: 'alice' }, { issuer: 'https://elsewhere.test' }))).toBeRefusedWith('AUTH_INVALID');
    await expect(connectAs(url, await mint({ sub: 'alice' }, { exp: nowSec() - 60 }))).rejects.toMatchObject({ code: 'AUTH_EXPIRED', action: 'refresh' });
    await expect(connectAs(url, await mint({ sub: 'alice' }, { nbf: nowSec() + 600 }))).rejects.toMatchObject({ code: 'AUTH_NOT_YET_VALID', action: 'retry' });
  });

  test('a missing JwtModule fails the start-up with a clear error', async () => {
    const app = await createNestApp({ imports: [SockAuthModule.forRoot({ useJwtService: true })], providers: [LobbyGateway] });
    await expect(app.init()).rejects.toThrow(/needs JwtModule/);
  });

  test('issuer or audience next to useJwtService are refused: the JwtModule owns them', async () => {
    await expect(
      createNestApp({
        imports: [jwtModule, SockAuthModule.forRoot({ useJwtService: true, verifier: { issuer: ISSUER } as never })],
        providers: [LobbyGateway],
      }),
    ).rejects.toThrow(/configure issuer there/);
  });
});

describe('forRootAsync', () => {
  test('builds the options from ConfigService', async () => {
    const { url } = await startNestApp({
      imports: [
        SockAuthModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ jwt: { secret: SECRET, issuer: ISSUER } })] })],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({
            verifier: hs256Verifier({ secret: config.getOrThrow<string>('jwt.secret'), issuer: config.getOrThrow<string>('jwt.issuer') }),
          }),
        }),
      ],
      providers: [LobbyGateway],
    });
    await expect(connectAs(url, await mint({ sub: 'alice' }, { issuer: 'https://elsewhere.test' }))).toBeRefusedWith('AUTH_INVALID');
    const alice = await connectAs(url, await mint({ sub: 'alice' }));
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
  });

  test('global: true makes SockAuthService injectable in other modules', async () => {
    @Module({ providers: [LobbyGateway] })
    class FeatureModule {}
    const { url, app } = await startNestApp({
      imports: [
        SockAuthModule.forRootAsync({ global: true, useFactory: async () => ({ verifier: hs256Verifier() }) }),
        FeatureModule,
      ],
    });
    const alice = await connectAs(url, await mint({ sub: 'alice' }));
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
    expect(app.get(LobbyGateway).connections).toEqual([{ id: alice.id, subject: 'alice' }]);
  });

  test('without global, a feature module cannot see SockAuthService', async () => {
    @Module({ providers: [LobbyGateway] })
    class FeatureModule {}
    await expect(
      createNestApp({ imports: [SockAuthModule.forRootAsync({ useFactory: () => ({ verifier: hs256Verifier() }) }), FeatureModule] }),
    ).rejects.toThrow(/SockAuthService/);
  });
});
