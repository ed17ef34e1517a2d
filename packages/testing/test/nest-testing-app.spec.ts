import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { closeAll, connectAs, createSockAuthTestingApp, createTestIssuer, type NestAppLike } from '../src/index.js';

/**
 * A gateway with an authenticated `ping`. Decorators are applied as calls: this package's tsconfig has no
 * decorator flags (they belong to the Nest package), and the kit itself must not need them.
 */
class PingGateway {
  ping(): string {
    return 'pong';
  }
}
SubscribeMessage('ping')(PingGateway.prototype, 'ping', Object.getOwnPropertyDescriptor(PingGateway.prototype, 'ping')!);
WebSocketGateway()(PingGateway);

/** An IoAdapter that counts the Socket.IO servers it creates: a stand-in for a custom (e.g. Redis) adapter. */
class CountingIoAdapter extends IoAdapter {
  servers = 0;
  override createIOServer(port: number, options?: Parameters<IoAdapter['createIOServer']>[1]) {
    this.servers++;
    return super.createIOServer(port, options);
  }
}

const providers = [PingGateway];

describe('createSockAuthTestingApp', () => {
  test('listens by default and enforces the handshake', async () => {
    const { url, issuer } = await createSockAuthTestingApp({ providers });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(connectAs(url, undefined)).toBeRefusedWith('AUTH_MISSING', { action: 'login' });
    const socket = await connectAs(url, { sub: 'alice' }, { issuer });
    await expect(socket.emitWithAck('ping')).resolves.toBe('pong');
  });

  test('configure runs on the created application before it starts: the adapter it sets serves the gateways', async () => {
    const order: string[] = [];
    let adapter: CountingIoAdapter | undefined;
    const { url } = await createSockAuthTestingApp(
      { providers },
      {
        sockAuth: { allowUnauthenticatedGateways: true },
        async configure(app) {
          await Promise.resolve();
          adapter = new CountingIoAdapter(app);
          app.useWebSocketAdapter(adapter);
          order.push(`configure (servers: ${adapter.servers})`);
        },
      },
    );
    order.push(`started (servers: ${adapter!.servers})`);
    expect(order).toEqual(['configure (servers: 0)', 'started (servers: 1)']);
    // A plain IoAdapter, deliberately allowed: the gateway is reachable without a token.
    const anonymous = await connectAs(url, undefined);
    await expect(anonymous.emitWithAck('ping')).resolves.toBe('pong');
  });

  test('listen: false returns the application unstarted, so a test can assert that it refuses to start', async () => {
    const started = await createSockAuthTestingApp(
      { providers },
      { configure: (app) => app.useWebSocketAdapter(new IoAdapter(app)), listen: false },
    );
    const url: undefined = started.url; // typed: no URL without listening
    expect(url).toBeUndefined();
    // A plain IoAdapter would leave the gateway unauthenticated: SockAuthModule refuses to start.
    await expect(started.app.init()).rejects.toThrow(/SockAuthIoAdapter/);
  });

  test('an application created with listen: false can be started by the test and is closed by the kit', async () => {
    const { app, issuer } = await createSockAuthTestingApp({ providers }, { listen: false });
    const close = jest.spyOn(app, 'close');
    await app.listen(0, '127.0.0.1');
    const socket = await connectAs(app, { sub: 'bob' }, { issuer });
    await expect(socket.emitWithAck('ping')).resolves.toBe('pong');
    await closeAll();
    expect(close).toHaveBeenCalledTimes(1);
    expect(socket.connected).toBe(false);
  });

  test('an error in configure rejects the call and closes the application at once', async () => {
    let created: NestAppLike | undefined;
    let close: jest.SpyInstance | undefined;
    const failure = new Error('adapter failed');
    await expect(
      createSockAuthTestingApp(
        { providers },
        {
          configure(app) {
            created = app;
            close = jest.spyOn(app, 'close');
            throw failure;
          },
        },
      ),
    ).rejects.toBe(failure);
    expect(created).toBeDefined();
    expect(close).toHaveBeenCalledTimes(1);
  });

  test('the application is typed from the configure hook, and listen: boolean gives either shape', async () => {
    const start = (listen: boolean) =>
      createSockAuthTestingApp({ providers }, { listen, configure: (app: INestApplication) => app.setGlobalPrefix('api') });
    const started = await start(true);
    const app: INestApplication = started.app;
    const url: string | undefined = started.url;
    expect(app.getHttpServer().listening).toBe(true);
    expect(url).toMatch(/^http:/);
  });

  test('bad options are TypeErrors', async () => {
    const issuer = await createTestIssuer();
    await expect(createSockAuthTestingApp({ providers }, { issuer, configure: 'no' as never })).rejects.toThrow(TypeError);
    await expect(createSockAuthTestingApp({ providers }, { issuer, listen: 'no' as never })).rejects.toThrow(TypeError);
  });
});
