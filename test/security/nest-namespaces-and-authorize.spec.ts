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
import { UseGuards } from '@nestjs/common';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway, type OnGatewayConnection } from '@nestjs/websockets';
import { isAuthError, type AuthorizeArgs, type AuthorizeHook } from '@sockauth/core';
import { Public, WsAuthGuard } from '@sockauth/nestjs';
import { createSockAuth } from '@sockauth/socket.io';
import { closeAll, connectAs, createSockAuthTestingApp } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { startServer } from '../support/servers';
import { hs256Verifier, mint } from '../support/tokens';

afterEach(closeAll);

/** What ran on the server, in order: `Gateway.step:namespace`. */
const runs: string[] = [];
beforeEach(() => {
  runs.length = 0;
});

// --- item 3: overlapping public and protected namespaces ------------------------------------------------------

/** Records its connections and `peek` messages in `runs`, as `<label>.<step>:<namespace>`. */
abstract class PeekGateway implements OnGatewayConnection {
  protected abstract readonly label: string;

  handleConnection(socket: Socket): void {
    runs.push(`${this.label}.connect:${socket.nsp.name}`);
  }

  @SubscribeMessage('peek')
  peek(@ConnectedSocket() socket: Socket) {
    runs.push(`${this.label}.peek:${socket.nsp.name}`);
    return { gateway: this.label };
  }
}

/** Protected, and `peek` has no permission decorator: only handshake authentication stands in front of it. */
@WebSocketGateway({ namespace: /^\/rooms\/[\w-]+$/ })
class RoomsGateway extends PeekGateway {
  protected readonly label = 'Rooms';
}

/** Public, on a pattern that overlaps RoomsGateway's on `/rooms/public-*` (not provably at start-up). */
@Public()
@WebSocketGateway({ namespace: /^\/(rooms\/)?public-[\w-]+$/ })
class PublicRoomsGateway extends PeekGateway {
  protected readonly label = 'PublicRooms';
}

/** Public on one concrete name that the protected pattern also matches: provably ambiguous. */
@Public()
@WebSocketGateway({ namespace: '/rooms/lobby' })
class PublicLobbyGateway extends PeekGateway {
  protected readonly label = 'PublicLobby';
}

/** Public on the protected pattern itself, only with other flags: provably ambiguous. */
@Public()
@WebSocketGateway({ namespace: /^\/rooms\/[\w-]+$/i })
class PublicRoomsCaseInsensitiveGateway extends PeekGateway {
  protected readonly label = 'PublicRoomsI';
}

/** Connects without a token and sends `peek`: what came back (the gateway that answered), or the refusal's code. */
async function anonymousPeek(url: string, namespace: string): Promise<unknown> {
  try {
    const socket = await connectAs(url, undefined, { namespace });
    return await socket.emitWithAck('peek');
  } catch (error) {
    return isAuthError(error) ? error.code : error;
  }
}

const PROVIDER_ORDERS = [
  ['protected gateway first', [RoomsGateway, PublicRoomsGateway]],
  ['public gateway first', [PublicRoomsGateway, RoomsGateway]],
] as const;

describe.each(PROVIDER_ORDERS)('overlapping regex namespaces, %s', (_order, providers) => {
  test('a socket without a token is refused on a name both patterns match; the protected gateway never sees it', async () => {
    const { url, issuer } = await createSockAuthTestingApp({ providers: [...providers] });
    // Twice: the second connection finds the child namespace Socket.IO created for the first.
    const outcomes = [await anonymousPeek(url, '/rooms/public-1'), await anonymousPeek(url, '/rooms/public-1')];
    expect(runs.filter((run) => run.startsWith('Rooms.'))).toEqual([]);
    expect(outcomes).toEqual(['AUTH_MISSING', 'AUTH_MISSING']);

    // With a token, the same name is served (by the gateway Socket.IO gave it to).
    const member = await connectAs(url, { sub: 'kim' }, { issuer, namespace: '/rooms/public-1' });
    await expect(member.emitWithAck('peek')).resolves.toEqual({ gateway: expect.stringMatching(/^(Rooms|PublicRooms)$/) });
  });

  test('a name only the public pattern matches stays public; one only the protected pattern matches is protected', async () => {
    const { url } = await createSockAuthTestingApp({ providers: [...providers] });
    const visitor = await connectAs(url, undefined, { namespace: '/public-1' });
    await expect(visitor.emitWithAck('peek')).resolves.toEqual({ gateway: 'PublicRooms' });
    await expect(connectAs(url, undefined, { namespace: '/rooms/general' })).toBeRefusedWith('AUTH_MISSING');
    expect(runs).toEqual(['PublicRooms.connect:/public-1', 'PublicRooms.peek:/public-1']);
  });
});

test('the two provider orders really give the overlapping name to different gateways', async () => {
  // Otherwise the suite above would test one registration order twice.
  const servedBy: unknown[] = [];
  for (const [, providers] of PROVIDER_ORDERS) {
    const { url, issuer } = await createSockAuthTestingApp({ providers: [...providers] });
    const member = await connectAs(url, { sub: 'kim' }, { issuer, namespace: '/rooms/public-1' });
    servedBy.push(((await member.emitWithAck('peek')) as { gateway: string }).gateway);
  }
  expect(servedBy.sort()).toEqual(['PublicRooms', 'Rooms']);
});

describe('provable overlaps of a public and a protected namespace are refused at start-up', () => {
  test.each([
    ['a public name the protected pattern matches', [RoomsGateway, PublicLobbyGateway]],
    ['the same name, in the other provider order', [PublicLobbyGateway, RoomsGateway]],
    ['the same pattern with other flags', [RoomsGateway, PublicRoomsCaseInsensitiveGateway]],
  ])('%s', async (_case, providers) => {
    // When Nest creates the Socket.IO server (app.init()): the module cannot tell the platform earlier, and on the
    // ws platform the same gateways are told apart by path. Until then no namespace is public (fail closed).
    const { app } = await createSockAuthTestingApp({ providers }, { listen: false });
    await expect(app.init()).rejects.toBeInstanceOf(TypeError);
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

test.each([['a bare string', '/'], ['a name without its slash', ['public']], ['a number', [1]]])(
  'skipNamespaces as %s is refused at start-up, on Socket.IO and on NestJS',
  async (_case, skipNamespaces) => {
    expect(() => createSockAuth({ verifier: hs256Verifier(), skipNamespaces: skipNamespaces as never })).toThrow(TypeError);
    await expect(
      createSockAuthTestingApp({ providers: [PublicRoomsGateway] }, { sockAuth: { skipNamespaces }, listen: false }),
    ).rejects.toBeInstanceOf(TypeError);
  },
);

// --- item 7: one shape for authorize ------------------------------------------------------------------------

/** Written once, against the documented shape: the event's arguments, without the ack. */
const seen: { transport: string; args: AuthorizeArgs }[] = [];
function policyFor(transport: string): AuthorizeHook {
  return (_context, _action, args) => {
    seen.push({ transport, args });
    return (args[0] as { room?: unknown } | undefined)?.room !== 'secret';
  };
}

@WebSocketGateway()
class JoinGateway {
  @SubscribeMessage('join')
  join() {
    runs.push('Join.join');
    return { joined: true };
  }
}

@UseGuards(WsAuthGuard)
@WebSocketGateway({ namespace: '/guarded' })
class GuardedJoinGateway {
  @SubscribeMessage('join')
  join() {
    runs.push('GuardedJoin.join');
    return { joined: true };
  }
}

/** The same emits on every transport; `undefined` marks a refusal. */
const SHAPES: readonly (readonly unknown[])[] = [
  [{ room: 'secret' }],
  [{ room: 'general' }],
  [{ room: 'secret' }, 'second argument'],
  [[{ room: 'secret' }]],
  [],
];

async function verdicts(socket: { emitWithAck(event: string, ...args: unknown[]): Promise<unknown> }): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const args of SHAPES) {
    const reply = (await socket.emitWithAck('join', ...args)) as { joined?: boolean; error?: { code: string } };
    results.push(reply.joined === true ? 'handled' : reply.error?.code);
  }
  return results;
}

test('one authorize policy refuses the same events on Socket.IO and on NestJS, and sees the same arguments', async () => {
  seen.length = 0;
  const io = await startServer({
    auth: { authorize: policyFor('socket.io'), events: { join: null } },
    setup: (server) =>
      server.on('connection', (socket) =>
        socket.on('join', (...args: unknown[]) => (args.pop() as (reply: unknown) => void)({ joined: true })),
      ),
  });
  const ioClient = await connectAs(io.url, await mint({ sub: 'kim' }));
  const expected = ['AUTH_FORBIDDEN', 'handled', 'AUTH_FORBIDDEN', 'handled', 'handled'];
  expect(await verdicts(ioClient)).toEqual(expected);

  const nest = await createSockAuthTestingApp(
    { providers: [JoinGateway, GuardedJoinGateway] },
    { sockAuth: { authorize: policyFor('nestjs') } },
  );
  const nestClient = await connectAs(nest.url, { sub: 'kim' }, { issuer: nest.issuer });
  expect(await verdicts(nestClient)).toEqual(expected);
  const guardedClient = await connectAs(nest.url, { sub: 'kim' }, { issuer: nest.issuer, namespace: '/guarded' });
  expect(await verdicts(guardedClient)).toEqual(expected);

  const argsOf = (transport: string) => seen.filter((call) => call.transport === transport).map((call) => call.args);
  expect(argsOf('socket.io')).toEqual(SHAPES);
  expect(argsOf('nestjs')).toEqual([...SHAPES, ...SHAPES]);
  expect(runs).toEqual(['Join.join', 'Join.join', 'Join.join', 'GuardedJoin.join', 'GuardedJoin.join', 'GuardedJoin.join']);
});
