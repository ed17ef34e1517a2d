import type { Server } from 'node:http';
import { WebSocketServer } from 'ws';
import { createWsAuth } from '@sockauth/ws';

/** The README's quick start: a chat on `server` at `/ws` (the README snippet is this file, verbatim). */
export function createChat(server: Server, secret: string) {
  const wsAuth = createWsAuth({
    verifier: { algorithms: ['HS256'], secret, issuer: 'my-idp', audience: 'chat' },
    events: { whoami: null, 'chat:join': 'chat:read', 'chat:send': 'chat:write' },
    rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] }, // deny by default
  });
  const wss = new WebSocketServer({ server, path: '/ws', ...wsAuth.serverOptions });
  wsAuth.attach(wss);

  wsAuth.on('whoami', (_data, { context }) => ({ subject: context.subject }));
  wsAuth.on('chat:join', async ({ room }: { room: string }, { ws }) => {
    await wsAuth.join(ws, room); // refused: acked { error: { code: 'AUTH_FORBIDDEN', action: 'none', message } }
    return { ok: true };
  });
  wsAuth.on('chat:send', ({ room, text }: { room: string; text: string }, { context }) => {
    wsAuth.to(room).send('chat:message', { room, text, from: context.subject });
    return { ok: true };
  });
  // From an admin endpoint: alice gets auth:error, then close 4102 {"code":"AUTH_REVOKED","action":"login"}.
  const revokeAlice = () => wsAuth.revoke({ subject: 'alice' });
  return { wsAuth, wss, revokeAlice };
}
