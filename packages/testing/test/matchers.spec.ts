import type { Socket } from 'socket.io';
import type { AuthErrorPayload } from '@sockauth/core';
import { connectAs, createTestIssuer, waitForRoomLeft } from '../src/index.js';
import { chatServer, listeningIo } from './servers.js';

/**
 * A server that misbehaves on purpose: it pairs each code with the wrong action on the wire, so the tests can show
 * that the `{ action }` expectation reads what the server sent (the rebuilt AuthError would derive the right one).
 */
async function wrongActionServer() {
  const io = await listeningIo();
  const wrong = { code: 'AUTH_EXPIRED', action: 'login', message: 'token expired' } satisfies AuthErrorPayload;
  io.of('/refuse').use((_socket, next) => next(Object.assign(new Error(wrong.message), { data: wrong })));
  io.on('connection', (socket: Socket) => {
    socket.on('chat:send', (_msg: unknown, ack: (v: unknown) => void) =>
      ack({ error: { code: 'AUTH_FORBIDDEN', action: 'login', message: 'forbidden' } }),
    );
    socket.on('cut', () => {
      socket.emit('auth:error', { code: 'AUTH_REVOKED', action: 'retry', message: 'token revoked' } satisfies AuthErrorPayload);
      socket.disconnect(true);
    });
  });
  return io;
}

describe('toBeRefusedWith(code, { action })', () => {
  test('passes when the server sent that code and action, fails on another action with both in the message', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    await expect(connectAs(io, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
    await expect(connectAs(io, undefined)).toBeRefusedWith('AUTH_MISSING', { action: 'login' });
    await expect(connectAs(io, undefined)).not.toBeRefusedWith('AUTH_MISSING', { action: 'retry' });

    const failure = expect(connectAs(io, undefined)).toBeRefusedWith('AUTH_MISSING', { action: 'retry' });
    await expect(failure).rejects.toThrow('refused with AUTH_MISSING (action retry), got AUTH_MISSING (action login)');
  });

  test('checks the action on the wire, not the one the rebuilt error derives from the code', async () => {
    const io = await wrongActionServer();
    await expect(connectAs(io, 'any', { namespace: '/refuse' })).toBeRefusedWith('AUTH_EXPIRED');
    await expect(connectAs(io, 'any', { namespace: '/refuse' })).toBeRefusedWith('AUTH_EXPIRED', { action: 'login' });
    await expect(connectAs(io, 'any', { namespace: '/refuse' })).not.toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
  });

  test('a connection fails with or without an expected action', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    await expect(expect(connectAs(io, { sub: 'carol' }, { issuer })).toBeRefusedWith('AUTH_INVALID', { action: 'login' })).rejects.toThrow(
      'refused with AUTH_INVALID (action login), but it connected',
    );
  });

  test('a misspelt action or option is a TypeError, not an assertion that can never pass', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    await expect(expect(connectAs(io, undefined)).toBeRefusedWith('AUTH_MISSING', { action: 'logout' as never })).rejects.toThrow(
      TypeError,
    );
    await expect(expect(connectAs(io, undefined)).toBeRefusedWith('AUTH_MISSING', 'login' as never)).rejects.toThrow(TypeError);
    await expect(expect(connectAs(io, undefined)).toBeRefusedWith('AUTH_MISSING', { acton: 'login' } as never)).rejects.toThrow(
      /unknown option "acton"/,
    );
  });
});

describe('toBeForbidden({ action })', () => {
  test('passes on a denial whose ack says action none, and reads the action from the ack', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const reader = await connectAs(io, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('chat:send', {})).toBeForbidden({ action: 'none' });
    await expect(reader.emitWithAck('chat:send', {})).not.toBeForbidden({ action: 'login' });
    await expect(expect(reader.emitWithAck('chat:send', {})).toBeForbidden({ action: 'retry' })).rejects.toThrow(
      'forbidden (AUTH_FORBIDDEN (action retry)), got AUTH_FORBIDDEN (action none)',
    );

    const bad = await wrongActionServer();
    const socket = await connectAs(bad, 'any');
    await expect(socket.emitWithAck('chat:send', {})).toBeForbidden();
    await expect(socket.emitWithAck('chat:send', {})).not.toBeForbidden({ action: 'none' });
  });
});

describe('toBeDisconnectedWith(code, { action, timeoutMs })', () => {
  test('passes with the action of auth:error, fails on another one with both in the message', async () => {
    const issuer = await createTestIssuer();
    const { io, auth } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice' }, { issuer });
    await auth.revoke({ subject: 'alice' });
    await expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' });
    await expect(expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'refresh', timeoutMs: 100 })).rejects.toThrow(
      'disconnect with AUTH_REVOKED (action refresh), got auth:error AUTH_REVOKED (action login) then disconnect',
    );
  });

  test('reads the action the server sent', async () => {
    const io = await wrongActionServer();
    const socket = await connectAs(io, 'any');
    socket.emit('cut');
    await expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'retry' });
    await expect(socket).not.toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' });
  });

  test('a bad action is a TypeError', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice' }, { issuer });
    await expect(expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'reload' as never })).rejects.toThrow(TypeError);
  });
});

/**
 * A plain Socket.IO server that sends `auth:room-left` when asked (`leave` with the payload), so the matcher is
 * checked on what a server sent over the wire, misbehaving ones included.
 */
async function roomLeftServer() {
  const io = await listeningIo();
  io.on('connection', (socket: Socket) => {
    socket.on('leave', (payload: unknown) => socket.emit('auth:room-left', payload));
    socket.on('bye', () => socket.disconnect(true));
  });
  return io;
}

describe('toHaveLeftRoom(room, { code, action, timeoutMs }) and waitForRoomLeft', () => {
  test('passes for the room the server said, also after the fact, and checks code and action', async () => {
    const io = await roomLeftServer();
    const socket = await connectAs(io, 'any');
    socket.emit('leave', { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
    await expect(socket).toHaveLeftRoom('staff-ops', { code: 'AUTH_FORBIDDEN', action: 'none' });
    // Already received: connectAs recorded it.
    await expect(waitForRoomLeft(socket, 'staff-ops')).resolves.toEqual({ room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
    await expect(expect(socket).toHaveLeftRoom('staff-ops', { code: 'AUTH_UNAVAILABLE', timeoutMs: 100 })).rejects.toThrow(
      'expected the socket to leave "staff-ops" with AUTH_UNAVAILABLE, got auth:room-left AUTH_FORBIDDEN (action none)',
    );
    await expect(socket).not.toHaveLeftRoom('staff-ops', { action: 'retry', timeoutMs: 100 });
  });

  test('matches the room exactly and fails at the timeout for another room', async () => {
    const io = await roomLeftServer();
    const socket = await connectAs(io, 'any');
    socket.emit('leave', { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' });
    await expect(socket).toHaveLeftRoom('staff-ops');
    await expect(socket).not.toHaveLeftRoom('Staff-ops', { timeoutMs: 100 });
    await expect(waitForRoomLeft(socket, 'staff-', { timeoutMs: 100 })).rejects.toThrow(/no auth:room-left/);
  });

  test('waits for an eviction still to come, and fails when the socket is disconnected first', async () => {
    const io = await roomLeftServer();
    const socket = await connectAs(io, 'any');
    const left = waitForRoomLeft(socket, 'general');
    socket.emit('leave', { room: 'general', code: 'AUTH_FORBIDDEN', action: 'none' });
    await expect(left).resolves.toMatchObject({ room: 'general' });

    const other = await connectAs(io, 'any');
    const never = waitForRoomLeft(other, 'general');
    other.emit('bye');
    await expect(never).rejects.toThrow(/disconnected/);
  });

  test('bad arguments are TypeErrors', async () => {
    const io = await roomLeftServer();
    const socket = await connectAs(io, 'any');
    await expect(expect(socket).toHaveLeftRoom('')).rejects.toThrow(TypeError);
    await expect(expect(socket).toHaveLeftRoom('a', { code: 'NOPE' as never })).rejects.toThrow(TypeError);
    await expect(expect(socket).toHaveLeftRoom('a', { room: 'a' } as never)).rejects.toThrow(TypeError);
    await expect(expect({}).toHaveLeftRoom('a')).rejects.toThrow(TypeError);
  });
});
