/**
 * The matchers on `expect` from `@jest/globals`: registered and typed by `@sockauth/testing/jest-globals`
 * (`npm run typecheck` compiles this file; without the declaration `toBeForbidden` is TS2339 there).
 */
import { expect, test } from '@jest/globals';
import '@sockauth/testing/jest-globals';
import { connectAs, createTestIssuer } from '../src/index.js';
import { chatServer } from './servers.js';

test("@jest/globals' expect has the sockauth matchers, typed", async () => {
  const issuer = await createTestIssuer();
  const { io } = await chatServer(issuer);
  const reader = await connectAs(io, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
  await expect(reader.emitWithAck('chat:send', 'hi')).toBeForbidden({ action: 'none' });
  await expect(connectAs(io, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
  await expect(connectAs(io, undefined)).not.toBeRefusedWith('AUTH_EXPIRED');
});

test("@jest/globals' expect has toHaveLeftRoom, typed", async () => {
  const issuer = await createTestIssuer();
  const { io } = await chatServer(issuer);
  io.on('connection', (socket) => socket.emit('auth:room-left', { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' }));
  const socket = await connectAs(io, { sub: 'alice' }, { issuer });
  await expect(socket).toHaveLeftRoom('staff-ops', { code: 'AUTH_FORBIDDEN', action: 'none' });
});
