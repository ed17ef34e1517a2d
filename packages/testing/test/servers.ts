import { createServer } from 'node:http';
import { Server, type Socket } from 'socket.io';
import { sockAuth, type SockAuth, type SockAuthOptions } from '@sockauth/socket.io';
import { closeAfterTest, type TestIssuer } from '../src/index.js';

/** A real Socket.IO server on a loopback port, closed by the kit after the test. */
export async function listeningIo(): Promise<Server> {
  const http = createServer();
  const io = new Server(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closeAfterTest(() => io.close());
  return io;
}

/**
 * A real Socket.IO server trusting `issuer` (`whoami` open to any authenticated socket, `chat:send` needs
 * `chat:write`), closed after the test. `options` overrides the sockauth options (token sources, cookie, …).
 */
export async function chatServer(issuer: TestIssuer, options: Partial<SockAuthOptions> = {}): Promise<{ io: Server; auth: SockAuth }> {
  const io = await listeningIo();
  const auth = sockAuth(io, {
    verifier: issuer.verifierOptions(),
    events: { whoami: null, 'chat:send': 'chat:write' },
    warnBeforeSec: 5,
    ...options,
  });
  closeAfterTest(() => auth.close());
  io.on('connection', (socket: Socket) => {
    socket.on('whoami', (ack: (v: unknown) => void) => ack(auth.contextOf(socket)?.subject));
    socket.on('chat:send', (_msg: unknown, ack: (v: unknown) => void) => ack({ ok: true }));
  });
  return { io, auth };
}
