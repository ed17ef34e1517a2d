/**
 * `SockAuthService.join(client, room)` on both platforms: one gateway, served by Socket.IO (SockAuthIoAdapter, the
 * module's default) and by `ws` (SockAuthWsAdapter), real clients from the testing kit's `connectAs`.
 */
import { Inject, type INestApplication } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { defaultMapClaims, type RoomLeftPayload } from '@sockauth/core';
import { SockAuthService } from '@sockauth/nestjs';
import { SockAuthWsAdapter } from '@sockauth/nestjs/ws';
import { closeAll, connectAs, createSockAuthTestingApp } from '@sockauth/testing';

afterEach(closeAll);

/** Subjects whose permissions a live policy took away (read by mapClaims, applied by reevaluate). */
const restricted = new Set<string>();
beforeEach(() => restricted.clear());

/** The same gateway for both platforms: Socket.IO's default namespace, or the ws path `/ws`. */
function joinGateway(options: { path?: string }) {
  @WebSocketGateway(options)
  class JoinGateway {
    constructor(@Inject(SockAuthService) readonly sockAuth: SockAuthService) {}

    @SubscribeMessage('room:join')
    async join(@ConnectedSocket() client: object, @MessageBody() body: { room: string }) {
      await this.sockAuth.join(client, body.room);
      return { ok: true };
    }
  }
  return JoinGateway;
}

const PLATFORMS = [
  ['Socket.IO', { path: undefined, configure: undefined }],
  ['ws', { path: '/ws', configure: (app: INestApplication) => app.useWebSocketAdapter(new SockAuthWsAdapter(app)) }],
] as const;

describe.each(PLATFORMS)('SockAuthService.join on %s', (_platform, { path, configure }) => {
  async function start() {
    const started = await createSockAuthTestingApp<INestApplication>(
      { providers: [joinGateway(path === undefined ? {} : { path })] },
      {
        sockAuth: {
          rooms: { lobby: 'chat:read', staff: 'chat:admin' },
          mapClaims: (claims: { sub?: string }) => defaultMapClaims(restricted.has(claims.sub ?? '') ? { ...claims, scope: '' } : claims),
        },
        ...(configure !== undefined && { configure }),
      },
    );
    const url = path === undefined ? started.url : (`${started.url.replace(/^http/, 'ws')}${path}` as const);
    return { ...started, url, service: started.app.get(SockAuthService) };
  }

  test('joins what the room policy allows, refuses the rest AUTH_FORBIDDEN (the connection stays)', async () => {
    const { url, issuer } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(alice.emitWithAck('room:join', { room: 'lobby' })).resolves.toEqual({ ok: true });
    await expect(alice.emitWithAck('room:join', { room: 'staff' })).resolves.toEqual({
      error: expect.objectContaining({ code: 'AUTH_FORBIDDEN', action: 'none' }),
    });
    await expect(alice.emitWithAck('room:join', { room: 'lobby' })).resolves.toEqual({ ok: true });
    expect(alice.connected).toBe(true);
  });

  test('the room joined is the session’s: a live re-evaluation that takes the permission away leaves it (auth:room-left)', async () => {
    const { url, issuer, service } = await start();
    const alice = await connectAs(url, { sub: 'alice', scope: 'chat:read' }, { issuer });
    await expect(alice.emitWithAck('room:join', { room: 'lobby' })).resolves.toEqual({ ok: true });
    const left = new Promise<RoomLeftPayload>((resolve) => alice.once('auth:room-left', resolve));
    restricted.add('alice');
    await expect(service.reevaluate({ subject: 'alice' })).resolves.toEqual({ affected: 1 });
    await expect(left).resolves.toEqual({ room: 'lobby', code: 'AUTH_FORBIDDEN', action: 'none' });
  });

  test('a client the service did not authenticate is refused AUTH_MISSING', async () => {
    const { service } = await start();
    await expect(service.join({}, 'lobby')).rejects.toMatchObject({ code: 'AUTH_MISSING' });
  });
});
