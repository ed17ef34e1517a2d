/**
 * Rooms through `SockAuthModule` (option `rooms`) and `SockAuthService`: a gateway joins with
 * `SockAuthService.join` (a refusal thrown from the handler is acked by the module's exception filter), and
 * `SockAuthService.reevaluate` after a live policy change evicts the socket (`auth:room-left`) from rooms the new
 * context may not be in. A real Nest application over the wire.
 */
import { Body, Controller, Inject, Post } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway, WebSocketServer } from '@nestjs/websockets';
import { defaultMapClaims, type JWTPayload } from '@sockauth/core';
import { JoinRoom, SockAuthService } from '@sockauth/nestjs';
import { connectAs, createSockAuthTestingApp } from '@sockauth/testing';
import type { Server, Socket } from 'socket.io';
import { nextEvent } from '../../../test/support/clients';

/** The live policy: subjects whose chat:admin is withheld. */
const restricted = new Set<string>();

@WebSocketGateway()
class RoomsGateway {
  @WebSocketServer() private readonly server!: Server;
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}

  @SubscribeMessage('join')
  async join(@ConnectedSocket() socket: Socket, @MessageBody() body: { room: string }) {
    await this.sockAuth.join(socket, body.room);
    return { ok: true };
  }

  @SubscribeMessage('enter')
  @JoinRoom()
  enter(@MessageBody() body: { room: string }) {
    return { ok: true, entered: body.room };
  }

  @SubscribeMessage('enter-channel')
  @JoinRoom((body) => (body as { channel?: unknown }).channel)
  enterChannel() {
    return { ok: true };
  }

  @SubscribeMessage('say')
  say(@MessageBody() body: { room: string; text: string }) {
    this.server.to(body.room).emit('said', body.text);
    return { ok: true };
  }
}

@Controller('admin')
class RestrictController {
  constructor(@Inject(SockAuthService) private readonly sockAuth: SockAuthService) {}
  @Post('restrict')
  restrict(@Body() body: { subject: string }) {
    restricted.add(body.subject);
    return this.sockAuth.reevaluate({ subject: body.subject });
  }
}

async function start() {
  return createSockAuthTestingApp(
    { controllers: [RestrictController], providers: [RoomsGateway] },
    {
      sockAuth: {
        rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] },
        mapClaims: (claims: JWTPayload) => {
          const identity = defaultMapClaims(claims);
          if (!restricted.has(identity.subject)) return identity;
          return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => p !== 'chat:admin') };
        },
      },
    },
  );
}

test('SockAuthService.join: the room policy decides, a refusal is the denied ack and the socket stays', async () => {
  const { url, issuer } = await start();
  const reader = await connectAs(url, { sub: 'reader', scope: 'chat:read' }, { issuer });
  await expect(reader.emitWithAck('join', { room: 'staff-ops' })).toBeForbidden({ action: 'none' });
  await expect(reader.emitWithAck('join', { room: 'general' })).resolves.toEqual({ ok: true });
  expect(reader.connected).toBe(true);
});

test('SockAuthService.reevaluate after a policy change: auth:room-left, and nothing more from that room', async () => {
  const { url, issuer } = await start();
  const alice = await connectAs(url, { sub: 'alice-nest', scope: 'chat:read chat:admin' }, { issuer });
  const witness = await connectAs(url, { sub: 'witness', scope: 'chat:read chat:admin' }, { issuer });
  for (const socket of [alice, witness]) {
    await socket.emitWithAck('join', { room: 'staff-ops' });
    await socket.emitWithAck('join', { room: 'general' });
  }
  const got: string[] = [];
  alice.on('said', (text: string) => got.push(text));

  const answer = await fetch(`${url}/admin/restrict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject: 'alice-nest' }),
  });
  expect(await answer.json()).toEqual({ affected: 1 });
  await expect(alice).toHaveLeftRoom('staff-ops', { code: 'AUTH_FORBIDDEN', action: 'none' });

  await witness.emitWithAck('say', { room: 'staff-ops', text: 'staff only' });
  const marker = nextEvent(alice, 'said');
  await witness.emitWithAck('say', { room: 'general', text: 'public' });
  await marker;
  expect(got).toEqual(['public']);
});

test('@JoinRoom(): joined through the policy before the handler runs; refused, the handler does not run', async () => {
  const { url, issuer } = await start();
  const reader = await connectAs(url, { sub: 'reader-2', scope: 'chat:read' }, { issuer });
  const staff = await connectAs(url, { sub: 'staff-2', scope: 'chat:read chat:admin' }, { issuer });
  await expect(reader.emitWithAck('enter', { room: 'staff-ops' })).toBeForbidden({ action: 'none' });
  await expect(reader.emitWithAck('enter-channel', { channel: 'staff-ops' })).toBeForbidden({ action: 'none' });
  await expect(reader.emitWithAck('enter', { room: 'general' })).resolves.toEqual({ ok: true, entered: 'general' });
  await expect(staff.emitWithAck('enter-channel', { channel: 'staff-ops' })).resolves.toEqual({ ok: true });
  // The reader is in general only: it gets what is said there, not in staff-ops.
  const got: string[] = [];
  reader.on('said', (text: string) => got.push(text));
  await staff.emitWithAck('say', { room: 'staff-ops', text: 'staff only' });
  const marker = nextEvent(reader, 'said');
  await staff.emitWithAck('say', { room: 'general', text: 'public' });
  await marker;
  expect(got).toEqual(['public']);
});

test('@JoinRoom() refuses a selector that is not a function', () => {
  expect(() => JoinRoom('room' as never)).toThrow(TypeError);
});
