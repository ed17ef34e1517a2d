import { createAuthClient, isAuthError } from '@sockauth/client';
import { closeAll } from '@sockauth/testing';
import { startChat } from '../../../test/client/support'; // the demo chat (examples/socketio-chat) on a free loopback port

afterEach(closeAll);

// The app's session, from its identity provider (here the demo's POST /auth/login and /auth/refresh).
let tokens: { accessToken: string; refreshToken: string; expiresAt: number };

async function post(url: string, body: unknown) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json: any = await res.json();
  if (!res.ok) throw json.error; // { code: 'AUTH_REVOKED', ... }: a `login` code ends the session
  return json;
}

test('a chat client that stays authenticated', async () => {
  const { url } = await startChat();
  tokens = await post(`${url}/auth/login`, { user: 'alice', ttlSec: 60 });

  const client = createAuthClient({
    url,
    getToken: () => tokens.accessToken, // read at every (re)connection
    refresh: async () => {
      // Over HTTPS to the app, never over the socket; the client never calls it twice at once.
      tokens = await post(`${url}/auth/refresh`, { refreshToken: tokens.refreshToken });
      return tokens.accessToken;
    },
    refreshWindow: { startSec: 60, endSec: 10 }, // refresh at a random point 60–10 s before exp
    backoff: { baseMs: 500, capMs: 30_000, maxAttempts: 10 }, // full jitter, then give up
  });
  const states: string[] = [];
  client.subscribe(({ state }) => states.push(state)); // connecting, authenticated, refreshing, …
  let loginReason: string | undefined;
  client.on('unauthenticated', (error) => (loginReason = error.code)); // once: show the login form
  const messages: string[] = [];
  client.socket.on('chat:message', (message) => messages.push(`${message.from}: ${message.text}`));

  await client.emitWithAck('chat:join', { room: 'lobby' }); // buffered until connected
  const { id } = await client.idempotent().emitWithAck('chat:send', { room: 'lobby', text: 'hi' });
  expect(id).toMatch(/^[0-9a-f-]{36}$/); // resent with the same id if the connection drops before the ack

  // What the timer does before expiry: a fresh token, re-authenticated in band, same socket.
  const { socketId } = client.status;
  await client.refreshNow();
  expect(client.status).toMatchObject({ state: 'authenticated', socketId, version: 2 });

  try {
    await client.emitWithAck('admin:announce', { text: 'hello all' });
  } catch (error) {
    if (isAuthError(error)) expect(error.code).toBe('AUTH_FORBIDDEN'); // action `none`: the socket stays
  }
  client.close(); // clears every timer
  expect(states).toContain('refreshing');
  expect(messages).toEqual(['alice: hi']);
  expect(loginReason).toBeUndefined();
});
