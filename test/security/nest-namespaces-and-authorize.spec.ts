/**
 * Issue #13, items 3 and 7, over the wire.
 *
 * 3. A `@Public()` gateway on a regex namespace overlapping a protected gateway's namespace: whatever the provider
 *    order (Socket.IO gives a concrete name to the first matching pattern in registration order), a socket without
 *    a token never reaches the protected gateway's `handleConnection` nor its handlers. A name matched by both a
 *    public and a protected pattern is protected; overlaps that can be proven are refused at start-up.
 * 7. One policy, written once against one documented shape (`authorize(context, action, args)`, `args` the event's
 *    argument list without the ack), refuses the same event on Socket.IO and on NestJS (module enforcement and
 *    WsAuthGuard alike).
 */
import { ConnectedSocket, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { Public } from '@sockauth/nestjs';
import { connectAs, createSockAuthTestingApp } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { cleanup } from '../support/cleanup';
import { startServer } from '../support/servers';

afterEach(cleanup);

/** What ran on the server, in order: `Gateway.step:namespace`. */
const runs: string[] = [];
beforeEach(() => {
  runs.length = 0;
});

// --- item 3: overlapping public and protected namespaces ------------------------------------------------------

/** Protected, with a handler that has no permission decorator: only handshake authentication stands in front of it. */
@WebSocketGateway({ namespace: /^\/rooms\/[\w-]+$/ })
class RoomsGateway implements OnGatewayConnection {
  handleConnection(socket: Socket): void {
    runs.push(`Rooms.connect:${socket.nsp.name}`);
  }

  @SubscribeMessage('peek')
  peek(@ConnectedSocket() socket: Socket) {
    runs.push(`Rooms.peek:${socket.nsp.name}`);
    return { gateway: 'rooms' };
  }
}

/** Public, on a pattern that overlaps RoomsGateway's on `/rooms/public-*` (not provably at start-up). */
@Public()
@WebSocketGateway({ namespace: /^\/(rooms\/)?public-[\w-]+$/ })
class PublicRoomsGateway implements OnGatewayConnection {
  handleConnection(socket: Socket): void {
    runs.push(`PublicRooms.connect:${socket.nsp.name}`);
  }

  @SubscribeMessage('peek')
  peek(@ConnectedSocket() socket: Socket) {
    runs.push(`PublicRooms.peek:${socket.nsp.name}`);
    return { gateway: 'public' };
  }
}

/** Public on one concrete name that the protected pattern also matches: provably ambiguous. */
@Public()
@WebSocketGateway({ namespace: '/rooms/lobby' })
class PublicLobbyGateway {
  @SubscribeMessage('peek')
  peek() {
    return { gateway: 'lobby' };
  }
}

/** Public on the protected pattern itself, only with other flags: provably ambiguous. */
@Public()
@WebSocketGateway({ namespace: /^\/rooms\/[\w-]+$/i })
class PublicRoomsCaseInsensitiveGateway {
  @SubscribeMessage('peek')
  peek() {
    return { gateway: 'public-i' };
  }
}

describe.each([
  ['protected gateway first', [RoomsGateway, PublicRoomsGateway]],
  ['public gateway first', [PublicRoomsGateway, RoomsGateway]],
])('overlapping regex namespaces, %s', (_order, providers) => {
  test('a socket without a token is refused on a name both patterns match; the protected gateway never sees it', async () => {
    const { url, issuer } = await createSockAuthTestingApp({ providers });
    await expect(connectAs(url, undefined, { namespace: '/rooms/public-1' })).toBeRefusedWith('AUTH_MISSING');
    // Connect twice: the second connection finds the child namespace Socket.IO created for the first.
    await expect(connectAs(url, undefined, { namespace: '/rooms/public-1' })).toBeRefusedWith('AUTH_MISSING');
    expect(runs.filter((run) => run.startsWith('Rooms.'))).toEqual([]);

    // With a token, the same name is served (by whichever gateway Socket.IO gave it to).
    const member = await connectAs(url, { sub: 'kim' }, { issuer, namespace: '/rooms/public-1' });
    await expect(member.emitWithAck('peek')).resolves.toEqual({ gateway: expect.any(String) });
  });

  test('a name only the public pattern matches stays public; one only the protected pattern matches is protected', async () => {
    const { url } = await createSockAuthTestingApp({ providers });
    const visitor = await connectAs(url, undefined, { namespace: '/public-1' });
    await expect(visitor.emitWithAck('peek')).resolves.toEqual({ gateway: 'public' });
    await expect(connectAs(url, undefined, { namespace: '/rooms/general' })).toBeRefusedWith('AUTH_MISSING');
    expect(runs).toEqual(['PublicRooms.connect:/public-1', 'PublicRooms.peek:/public-1']);
  });
});

describe('provable overlaps of a public and a protected namespace are refused at start-up', () => {
  test.each([
    ['a public name the protected pattern matches', [RoomsGateway, PublicLobbyGateway]],
    ['the same name, in the other provider order', [PublicLobbyGateway, RoomsGateway]],
    ['the same pattern with other flags', [RoomsGateway, PublicRoomsCaseInsensitiveGateway]],
  ])('%s', async (_case, providers) => {
    // Nest builds the providers (sockauth's included) when the testing module compiles, before any init().
    await expect(createSockAuthTestingApp({ providers }, { listen: false })).rejects.toBeInstanceOf(TypeError);
  });
});

test('a skipNamespaces pattern with the g flag leaves every matching namespace open, not every other one', async () => {
  const { url } = await startServer({
    auth: { skipNamespaces: [/^\/open-/g] },
    beforeAttach: (io) => {
      io.of(/^\/open-/).on('connection', (socket) => socket.on('whoami', (ack: (v: unknown) => void) => ack('open')));
    },
  });
  for (const namespace of ['/open-a', '/open-b', '/open-c']) {
    const visitor = await connectAs(url, undefined, { namespace });
    await expect(visitor.emitWithAck('whoami')).resolves.toBe('open');
  }
});
