/**
 * Type tests (compiled by `npm run typecheck`, never run): with @sockauth/ws, the claims type inferred from
 * `mapClaims` reaches `authorize`, `eventGate` (which gets the `WebSocket`), message handlers, `onConnection`,
 * `check()` and `contextOf()`. Each `@ts-expect-error` fails the type-check if its line stops being an error.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { AuthInvalidError, defaultMapClaims, type JWTPayload } from '@sockauth/core';
import { createWsAuth, type WsAuth, type WsAuthOptions } from '@sockauth/ws';

interface AppClaims extends JWTPayload {
  readonly tenant: string;
}

declare const verifier: WsAuthOptions['verifier'];
declare const socket: WebSocket;

const wsAuth: WsAuth<AppClaims> = createWsAuth({
  verifier,
  mapClaims: (claims: AppClaims) => {
    if (typeof claims.tenant !== 'string') throw new AuthInvalidError('no tenant');
    return defaultMapClaims(claims);
  },
  authorize: (context) => context.claims.tenant !== 'suspended',
  eventGate: (ws, _type, _args, context) => {
    const open: boolean = ws.readyState === ws.OPEN;
    const tenant: string = context.claims.tenant;
    void open;
    void tenant;
    return undefined;
  },
});
const wss = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
wsAuth.attach(wss);

wsAuth.on('chat:send', ({ text }: { text: string }, { context, ws }) => {
  const tenant: string = context.claims.tenant;
  // @ts-expect-error tenant is a string, not a number
  const wrong: number = context.claims.tenant;
  ws.send(text);
  return { ok: true, tenant, wrong };
});
wsAuth.onConnection((_ws, context) => void context.claims.tenant.toUpperCase());
void wsAuth.check(socket, 'chat:send', { text: 'hi' }).then((verdict) => (verdict.ok ? verdict.context.claims.tenant : verdict.reply));
const maybe: string | undefined = wsAuth.contextOf(socket)?.claims.tenant;
void maybe;

// @ts-expect-error a misspelt option is a type error (and a TypeError at run time)
createWsAuth({ verifier, maxPayLoad: 1024 });
