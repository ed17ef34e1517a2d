import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { createChat } from './readme-quick-start';
import { connectWs } from './support';
import { closeAll, closeAfterTest } from '@sockauth/testing';

afterEach(closeAll);

const SECRET = 'readme-quick-start-secret-0123456789abcdef';
const sign = (sub: string, scope: string) =>
  new SignJWT({ scope })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(sub)
    .setIssuer('my-idp')
    .setAudience('chat')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 5)
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

test('the README quick start runs: join, send, a refused staff room, revocation', async () => {
  const server = createServer();
  const { wsAuth, wss, revokeAlice } = createChat(server, SECRET);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeAfterTest(async () => {
    wsAuth.close();
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  const alice = await connectWs(url, await sign('alice', 'chat:read chat:write'));
  expect(await alice.request('whoami')).toEqual({ subject: 'alice' });
  expect(await alice.request('chat:join', { room: 'lobby' })).toEqual({ ok: true });
  expect(await alice.request('chat:join', { room: 'staff-ops' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
  const message = alice.push('chat:message');
  await alice.request('chat:send', { room: 'lobby', text: 'hi' });
  expect(await message).toEqual({ room: 'lobby', text: 'hi', from: 'alice' });
  await revokeAlice();
  expect(await alice.closed).toMatchObject({ code: 4102, reason: { code: 'AUTH_REVOKED', action: 'login' } });
});
