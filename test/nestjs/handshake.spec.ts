import { IoAdapter } from '@nestjs/platform-socket.io';
import { SockAuthIoAdapter, SockAuthModule, type SockAuthModuleOptions } from '@sockauth/nestjs';
import { cleanup } from '../support/cleanup';
import { connectWithToken, createNestApp, refusedWithToken, startNestApp } from '../support/nest';
import { hs256Verifier, mint, nowSec } from '../support/tokens';
import { AdminGateway, LobbyGateway, PublicRootGateway, StatusGateway } from './fixtures';

afterEach(cleanup);

const options: SockAuthModuleOptions = { verifier: hs256Verifier() };

async function start(extra: Partial<SockAuthModuleOptions> = {}) {
  const started = await startNestApp({
    imports: [SockAuthModule.forRoot({ ...options, ...extra })],
    providers: [LobbyGateway, AdminGateway, StatusGateway],
  });
  return { ...started, lobby: started.app.get(LobbyGateway), admin: started.app.get(AdminGateway) };
}

describe('handshake authentication for gateways', () => {
  test('a socket without a token is refused with AUTH_MISSING before handleConnection runs', async () => {
    const { url, lobby } = await start();
    const err = await refusedWithToken(url);
    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });

    const alice = await connectWithToken(url, await mint({ sub: 'alice' }));
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
    expect(lobby.connections).toEqual([{ id: alice.id, subject: 'alice' }]);
  });

  test('invalid, expired and not-yet-valid tokens are refused with their codes', async () => {
    const { url, lobby } = await start();
    await expect(refusedWithToken(url, 'not-a-jwt')).resolves.toMatchObject({ data: { code: 'AUTH_INVALID', action: 'login' } });
    await expect(refusedWithToken(url, await mint({ sub: 'alice' }, { secret: 'another-secret-of-at-least-32-bytes!!' }))).resolves.toMatchObject({
      data: { code: 'AUTH_INVALID', action: 'login' },
    });
    await expect(refusedWithToken(url, await mint({ sub: 'alice' }, { exp: nowSec() - 60 }))).resolves.toMatchObject({
      data: { code: 'AUTH_EXPIRED', action: 'refresh' },
    });
    await expect(refusedWithToken(url, await mint({ sub: 'alice' }, { nbf: nowSec() + 600 }))).resolves.toMatchObject({
      data: { code: 'AUTH_NOT_YET_VALID', action: 'retry' },
    });
    expect(lobby.connections).toEqual([]);
  });

  test('handleConnection already sees the context of an accepted socket', async () => {
    const { url, lobby } = await start();
    const bob = await connectWithToken(url, await mint({ sub: 'bob', scope: 'chat:read' }));
    await expect(bob.emitWithAck('whoami')).resolves.toEqual({
      subject: 'bob',
      permissions: ['chat:read'],
      expiresAt: expect.any(Number),
      version: 1,
    });
    expect(lobby.connections).toEqual([{ id: bob.id, subject: 'bob' }]);
  });

  test('the token is also accepted from an Authorization bearer header', async () => {
    const { url } = await start();
    const token = await mint({ sub: 'carol' });
    const carol = await connectWithToken(url, undefined, { extraHeaders: { authorization: `Bearer ${token}` } });
    await expect(carol.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'carol' });
  });

  test('a gateway with a namespace is protected too', async () => {
    const { url, admin } = await start();
    const err = await refusedWithToken(`${url}/admin`);
    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    const root = await connectWithToken(`${url}/admin`, await mint({ sub: 'root', scope: 'chat:admin' }));
    await expect(root.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'root', permissions: ['chat:admin'] });
    expect(admin.connections).toEqual([{ id: root.id, subject: 'root' }]);
  });

  test('the namespace of a @Public() gateway accepts sockets without a token', async () => {
    const { url, app } = await start();
    const visitor = await connectWithToken(`${url}/status`);
    await expect(visitor.emitWithAck('ping')).resolves.toBe('pong');
    await expect(visitor.emitWithAck('whoami')).resolves.toEqual({ context: null });
    expect(app.get(StatusGateway).connections).toEqual([{ id: visitor.id, subject: undefined }]);
  });

  test('a handler-level requirement inside a @Public() gateway still needs a context', async () => {
    const { url } = await start();
    const visitor = await connectWithToken(`${url}/status`);
    await expect(visitor.emitWithAck('status:set', {})).resolves.toEqual({
      error: { code: 'AUTH_MISSING', action: 'login', message: expect.any(String) },
    });
  });

  test('skipNamespaces leaves an extra namespace open explicitly', async () => {
    const { url } = await start({ skipNamespaces: ['/admin'] });
    const anonymous = await connectWithToken(`${url}/admin`);
    await expect(anonymous.emitWithAck('whoami')).resolves.toEqual({ subject: null });
  });

  test('a public and a protected gateway sharing a namespace is refused at start-up', async () => {
    await expect(
      createNestApp({ imports: [SockAuthModule.forRoot(options)], providers: [LobbyGateway, PublicRootGateway] }),
    ).rejects.toThrow(/share namespace \//);
  });

  test('an explicit SockAuthIoAdapter(app) authenticates like the one the module installs', async () => {
    const { url, app } = await startNestApp(
      { imports: [SockAuthModule.forRoot(options)], providers: [LobbyGateway] },
      { configure: (nest) => nest.useWebSocketAdapter(new SockAuthIoAdapter(nest)) },
    );
    await expect(refusedWithToken(url)).resolves.toMatchObject({ data: { code: 'AUTH_MISSING' } });
    const dave = await connectWithToken(url, await mint({ sub: 'dave' }));
    await expect(dave.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'dave' });
    expect(app.get(LobbyGateway).connections).toEqual([{ id: dave.id, subject: 'dave' }]);
  });

  test('replacing the adapter with a plain IoAdapter makes the application refuse to start', async () => {
    const app = await createNestApp({ imports: [SockAuthModule.forRoot(options)], providers: [LobbyGateway] });
    app.useWebSocketAdapter(new IoAdapter(app));
    await expect(app.init()).rejects.toThrow(/not a SockAuthIoAdapter/);
  });

  test('allowUnauthenticatedGateways accepts a plain IoAdapter deliberately', async () => {
    const { url } = await startNestApp(
      { imports: [SockAuthModule.forRoot({ ...options, allowUnauthenticatedGateways: true })], providers: [LobbyGateway] },
      { configure: (nest) => nest.useWebSocketAdapter(new IoAdapter(nest)) },
    );
    const anonymous = await connectWithToken(url);
    await expect(anonymous.emitWithAck('whoami')).resolves.toEqual({ subject: null });
  });
});
