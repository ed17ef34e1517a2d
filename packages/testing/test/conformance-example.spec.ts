import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { defaultMapClaims, type AuthError } from '@sockauth/core';
import { sockAuth, type SockAuth } from '@sockauth/socket.io';
import { describeConformance } from '@sockauth/testing/jest-globals';

let auth: SockAuth;
/** Live restrictions: permissions withheld from a subject whatever its tokens say. */
const withheld = new Map<string, readonly string[]>();

describeConformance({
  // Start your server trusting the kit's issuer (or pass `mint` to use your identity provider).
  async start({ issuer }) {
    const http = createServer();
    const io = new Server(http);
    const logs: string[] = [];
    const log = (obj: object, msg?: string) => logs.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
    auth = sockAuth(io, {
      verifier: issuer!.verifierOptions(),
      events: { whoami: null, 'chat:join': 'chat:read', 'chat:send': 'chat:write' },
      rooms: { '*': 'chat:read' }, // a socket stays in a room only while it holds chat:read
      mapClaims: (claims) => {
        const identity = defaultMapClaims(claims);
        const denied = withheld.get(identity.subject) ?? [];
        return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => !denied.includes(p)) };
      },
      warnBeforeSec: 2,
      logger: { debug: log, info: log, warn: log, error: log },
    });
    const seen = new Set<string>();
    io.on('connection', (socket) => {
      socket.on('whoami', (ack) => ack({ subject: auth.contextOf(socket)?.subject }));
      socket.on('chat:join', async ({ room }, ack) => {
        try {
          await auth.join(socket, room); // through the room policy
          ack({ ok: true });
        } catch (error) {
          ack({ error: (error as AuthError).toJSON() });
        }
      });
      socket.on('chat:send', ({ room, text, id }, ack) => {
        const key = `${auth.contextOf(socket)?.subject}:${id}`; // idempotent: one effect per subject and id
        if (!seen.has(key)) io.to(room).emit('chat:message', { room, text, id });
        seen.add(key);
        ack({ ok: true, id });
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
      logs: () => logs.join('\n'),
      stop: async () => {
        auth.close();
        await io.close();
      },
    };
  },
  // What a full user may do, an event that needs a permission (its ack proves it ran), and a harmless one.
  permissions: ['chat:read', 'chat:write'],
  privileged: { permission: 'chat:write', request: (id, room) => ({ event: 'chat:send', payload: { room, text: 'hi', id } }) },
  harmless: { event: 'whoami' },
  // How a second connection sees side effects (the idempotency and rooms flows).
  observe: {
    subscribe: (room) => ({ event: 'chat:join', payload: { room } }),
    event: 'chat:message',
    keyOf: (message) => (message as { id: string }).id,
  },
  rooms: { permission: 'chat:read' },
  // Withholds permissions from a subject's live sockets (a role lost mid-session); or { skip: 'why' }.
  restrict: async (subject, deny) => {
    withheld.set(subject, deny);
    await auth.reevaluate({ subject });
  },
  // Resolves once the session's live sockets are cut.
  revoke: async ({ sessionId }) => void (await auth.revoke({ sessionId })),
  timings: { ttlSec: 3, warnBeforeSec: 2 },
});
