import { IoAdapter } from '@nestjs/platform-socket.io';
import { SockAuthIoAdapter, type SockAuthModuleOptions } from '@sockauth/nestjs';
import { closeAll, connectAs, createSockAuthTestingApp, createTestIssuer } from '@sockauth/testing';
import { refused } from '../../../test/support/clients';
import { AdminGateway, LobbyGateway, PublicRootGateway, StatusGateway } from './fixtures';

afterEach(closeAll);

async function start(extra: Partial<SockAuthModuleOptions> = {}) {
  const started = await createSockAuthTestingApp(
    { providers: [LobbyGateway, AdminGateway, StatusGateway] },
    { sockAuth: extra },
  );
  return { ...started, lobby: started.app.get(LobbyGateway), admin: started.app.get(AdminGateway) };
}

describe('handshake authentication for gateways', () => {
  test('a socket without a token is refused with AUTH_MISSING before handleConnection runs', async () => {
    const { url, issuer, lobby } = await start();
    // The raw wire shape of the refusal, as a plain socket.io-client sees it.
    const err = await refused(url);
    expect(err.data).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    await expect(connectAs(url, undefined)).toBeRefusedWith('AUTH_MISSING');

    const alice = await connectAs(url, { sub: 'alice' }, { issuer });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'alice' });
    expect(lobby.connections).toEqual([{ id: alice.id, subject: 'alice' }]);
  });

  test('invalid, expired and not-yet-valid tokens are refused with their codes', async () => {
    const { url, issuer, lobby } = await start();
    const stranger = await createTestIssuer(); // same iss/aud, another secret
    await expect(connectAs(url, 'not-a-jwt')).toBeRefusedWith('AUTH_INVALID', { action: 'login' });
    await expect(connectAs(url, await stranger.mint({ sub: 'alice' }))).toBeRefusedWith('AUTH_INVALID', { action: 'login' });
    await expect(connectAs(url, await issuer.mintExpired({ sub: 'alice' }))).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
    await expect(connectAs(url, { sub: 'alice', nbf: Math.floor(Date.now() / 1000) + 600 }, { issuer })).toBeRefusedWith(
      'AUTH_NOT_YET_VALID',
      { action: 'retry' },
    );
    expect(lobby.connections).toEqual([]);
  });

  test('handleConnection already sees the context of an accepted socket', async () => {
    const { url, issuer, lobby } = await start();
    const bob = await connectAs(url, { sub: 'bob', permissions: ['chat:read'] }, { issuer });
    await expect(bob.emitWithAck('whoami')).resolves.toEqual({
      subject: 'bob',
      permissions: ['chat:read'],
      expiresAt: expect.any(Number),
      version: 1,
    });
    expect(lobby.connections).toEqual([{ id: bob.id, subject: 'bob' }]);
  });

  test('the token is also accepted from an Authorization bearer header', async () => {
    const { url, issuer } = await start();
    const carol = await connectAs(url, { sub: 'carol' }, { issuer, tokenIn: 'header' });
    await expect(carol.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'carol' });
  });

  test('a gateway with a namespace is protected too', async () => {
    const { url, issuer, admin } = await start();
    await expect(connectAs(url, undefined, { namespace: '/admin' })).toBeRefusedWith('AUTH_MISSING', { action: 'login' });
    const root = await connectAs(url, { sub: 'root', permissions: ['chat:admin'] }, { issuer, namespace: '/admin' });
    await expect(root.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'root', permissions: ['chat:admin'] });
    expect(admin.connections).toEqual([{ id: root.id, subject: 'root' }]);
  });

  test('the namespace of a @Public() gateway accepts sockets without a token', async () => {
    const { url, app } = await start();
    const visitor = await connectAs(url, undefined, { namespace: '/status' });
    await expect(visitor.emitWithAck('ping')).resolves.toBe('pong');
    await expect(visitor.emitWithAck('whoami')).resolves.toEqual({ context: null });
    expect(app.get(StatusGateway).connections).toEqual([{ id: visitor.id, subject: undefined }]);
  });

  test('a handler-level requirement inside a @Public() gateway still needs a context', async () => {
    const { url } = await start();
    const visitor = await connectAs(url, undefined, { namespace: '/status' });
    await expect(visitor.emitWithAck('status:set', {})).resolves.toEqual({
      error: { code: 'AUTH_MISSING', action: 'login', message: expect.any(String) },
    });
  });

  test('skipNamespaces leaves an extra namespace open explicitly', async () => {
    const { url } = await start({ skipNamespaces: ['/admin'] });
    const anonymous = await connectAs(url, undefined, { namespace: '/admin' });
    await expect(anonymous.emitWithAck('whoami')).resolves.toEqual({ subject: null });
  });

  test('a public and a protected gateway sharing a namespace is refused at start-up', async () => {
    // At start-up: when the Socket.IO server is attached (the same gateways on the ws platform are told apart by path).
    const { app } = await createSockAuthTestingApp({ providers: [LobbyGateway, PublicRootGateway] }, { listen: false });
    await expect(app.init()).rejects.toBeInstanceOf(TypeError);
  });

  test('an explicit SockAuthIoAdapter(app) authenticates like the one the module installs', async () => {
    const { url, app, issuer } = await createSockAuthTestingApp(
      { providers: [LobbyGateway] },
      { configure: (nest) => nest.useWebSocketAdapter(new SockAuthIoAdapter(nest)) },
    );
    await expect(connectAs(url, undefined)).toBeRefusedWith('AUTH_MISSING');
    const dave = await connectAs(url, { sub: 'dave' }, { issuer });
    await expect(dave.emitWithAck('whoami')).resolves.toMatchObject({ subject: 'dave' });
    expect(app.get(LobbyGateway).connections).toEqual([{ id: dave.id, subject: 'dave' }]);
  });

  test('replacing the adapter with a plain IoAdapter makes the application refuse to start', async () => {
    const { app } = await createSockAuthTestingApp(
      { providers: [LobbyGateway] },
      { configure: (nest) => nest.useWebSocketAdapter(new IoAdapter(nest)), listen: false },
    );
    await expect(app.init()).rejects.toThrow(/not a SockAuthIoAdapter/);
  });

  test('allowUnauthenticatedGateways accepts a plain IoAdapter deliberately', async () => {
    const { url } = await createSockAuthTestingApp(
      { providers: [LobbyGateway] },
      {
        sockAuth: { allowUnauthenticatedGateways: true } satisfies Partial<SockAuthModuleOptions>,
        configure: (nest) => nest.useWebSocketAdapter(new IoAdapter(nest)),
      },
    );
    const anonymous = await connectAs(url, undefined);
    await expect(anonymous.emitWithAck('whoami')).resolves.toEqual({ subject: null });
  });
});
