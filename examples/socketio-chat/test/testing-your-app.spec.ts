import { createServer } from 'node:http';
import { Server } from 'socket.io';
import type { VerifierOptions } from '@sockauth/core';
import { sockAuth } from '@sockauth/socket.io';
import { connectAs, createTestIssuer, waitForExpiry, type TestIssuer } from '@sockauth/testing';

// The app under test. In your project, import the function that builds your server instead.
async function startChat(verifier: VerifierOptions) {
  const io = new Server(createServer().listen(0, '127.0.0.1'));
  const auth = sockAuth(io, { verifier, events: { 'chat:send': 'chat:write' } });
  io.on('connection', (socket) => {
    socket.on('chat:send', (text: string, ack: (reply: unknown) => void) => ack({ ok: true, echo: text }));
  });
  return { io, auth };
}

let issuer: TestIssuer;
let app: Awaited<ReturnType<typeof startChat>>;

beforeEach(async () => {
  issuer = await createTestIssuer(); // a real HS256 key; tokens go through the real verifier
  app = await startChat(issuer.verifierOptions());
});
afterEach(async () => {
  app.auth.close();
  await app.io.close(); // client sockets from connectAs are closed by the kit
});

test('a writer can send', async () => {
  const socket = await connectAs(app.io, { sub: 'alice', permissions: ['chat:write'] }, { issuer });
  await expect(socket.emitWithAck('chat:send', 'hi')).resolves.toEqual({ ok: true, echo: 'hi' });
});

test('a reader is forbidden to send, and stays connected', async () => {
  const socket = await connectAs(app.io, { sub: 'bob', permissions: ['chat:read'] }, { issuer });
  await expect(socket.emitWithAck('chat:send', 'hi')).toBeForbidden();
  expect(socket.connected).toBe(true);
});

test('an expired token is refused at the handshake', async () => {
  await expect(connectAs(app.io, await issuer.mintExpired({ sub: 'carol' }))).toBeRefusedWith('AUTH_EXPIRED');
});

test('a revoked user is cut off', async () => {
  const socket = await connectAs(app.io, { sub: 'dave' }, { issuer });
  await app.auth.revoke({ subject: 'dave' });
  await expect(socket).toBeDisconnectedWith('AUTH_REVOKED');
});

test('a socket is cut when its token expires', async () => {
  const socket = await connectAs(app.io, { sub: 'erin', ttlSec: 1 }, { issuer });
  const { error } = await waitForExpiry(socket);
  expect(error.action).toBe('refresh');
});
