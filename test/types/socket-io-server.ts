/**
 * Type tests (compiled by `npm run typecheck`, never run): the documented
 * `Server<ClientToServer, ServerToClient, InterServer, SockAuthSocketData<AppClaims>>` works with sockauth
 * without casts, and `socket.data.auth` is typed in handlers.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { defaultMapClaims, type JWTPayload } from '@sockauth/core';
import { sockAuth, type SockAuthSocketData } from '@sockauth/socket.io';

interface AppClaims extends JWTPayload {
  readonly tenant: string;
}
interface ClientToServerEvents {
  'chat:send': (message: { text: string }, ack: (result: { ok: boolean }) => void) => void;
}
interface ServerToClientEvents {
  'chat:message': (message: { from: string; text: string }) => void;
}
interface InterServerEvents {
  ping: () => void;
}
interface SocketData extends SockAuthSocketData<AppClaims> {
  joinedAt: number;
}

const io = new Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>(createServer());
const auth = sockAuth(io, {
  verifier: { algorithms: ['HS256'], secret: process.env.JWT_SECRET!, issuer: 'my-idp', audience: 'chat' },
  mapClaims: (claims: AppClaims) => defaultMapClaims(claims),
  events: { 'chat:send': 'chat:write' },
});

io.on('connection', (socket) => {
  const fromData: string | undefined = socket.data.auth?.claims.tenant;
  const fromAuth: string | undefined = auth.contextOf(socket)?.claims.tenant;
  const joinedAt: number = socket.data.joinedAt;
  void [fromData, fromAuth, joinedAt];
  socket.on('chat:send', (message, ack) => {
    io.emit('chat:message', { from: socket.data.auth?.subject ?? '?', text: message.text });
    ack({ ok: true });
  });
  // @ts-expect-error auth is optional: gone after disconnect, expiry and revocation
  void socket.data.auth.subject;
  // @ts-expect-error tenant is a string
  const wrong: number | undefined = socket.data.auth?.claims.tenant;
  void wrong;
});
