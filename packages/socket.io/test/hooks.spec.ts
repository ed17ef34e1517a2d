/**
 * Observability hooks over the wire: each is called with the documented info at the right moment, none ever
 * receives anything containing a token, and a hook that throws never breaks authentication.
 */
import type { SockAuthHooks } from '@sockauth/socket.io';
import { closeAll, connectAs, waitForExpiry } from '@sockauth/testing';
import { installApp, leakedTokenFragments } from '../../../test/support/app';
import { refused } from '../../../test/support/clients';
import { startServer } from '../../../test/support/servers';
import { expAtLeast, mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

type HookName = keyof SockAuthHooks;

function recordingHooks() {
  const calls: { hook: HookName; info: Record<string, unknown> }[] = [];
  const hook =
    (name: HookName) =>
    (info: object): void => {
      calls.push({ hook: name, info: { ...info } });
    };
  const hooks: SockAuthHooks = {
    onAuthFailure: hook('onAuthFailure'),
    onAuthenticated: hook('onAuthenticated'),
    onReauth: hook('onReauth'),
    onRevoke: hook('onRevoke'),
    onExpire: hook('onExpire'),
  };
  const of = (name: HookName) => calls.filter((call) => call.hook === name).map((call) => call.info);
  return { calls, hooks, of };
}

test('every hook is called with its documented info and none ever sees any part of a token', async () => {
  const { calls, hooks, of } = recordingHooks();
  const server = await startServer({
    auth: {
      hooks,
      allowQueryToken: true,
      warnBeforeSec: 0,
      events: { whoami: null, 'chat:send': 'chat:write' },
    },
  });
  installApp(server.io, server.auth);
  const tokens: string[] = [];
  const keep = (token: string): string => (tokens.push(token), token);
  const iat = nowSec() - 5;

  // Handshake refusals, from the auth payload, the header and the query string.
  const forged = keep(await mint({ sub: 'alice' }, { secret: 'not-the-server-secret-but-long-enough-0123' }));
  const expired = keep(await mint({ sub: 'alice' }, { exp: nowSec() - 60 }));
  const other = keep(await mint({ sub: 'alice', jti: 'other' }));
  await refused(server.url, { auth: { token: forged } });
  await refused(server.url, { extraHeaders: { authorization: `Bearer ${expired}` } });
  await refused(server.url, { query: { token: forged } });
  await refused(server.url, { auth: { token: forged }, extraHeaders: { authorization: `Bearer ${other}` } });

  // Authenticated, a refused event, a refused and a successful re-auth.
  const socket = await connectAs(server.url, keep(await mint({ sub: 'alice', sid: 's-1', jti: 'j-1' }, { iat })));
  const socketId = socket.id;
  await expect(socket.emitWithAck('chat:send', { text: 'hi' })).toBeForbidden();
  await socket.emitWithAck('auth:refresh', { token: keep(await mint({ sub: 'mallory', sid: 's-1' })) });
  // A second newer: a token of the same iat may not grant more than the one in force (chat:write).
  await socket.emitWithAck('auth:refresh', { token: keep(await mint({ sub: 'alice', sid: 's-1', jti: 'j-2', scope: 'chat:write' }, { iat: iat + 1 })) });

  // Revocation, then expiry of another socket.
  await server.auth.revoke({ subject: 'alice' });
  await expect(socket).toBeDisconnectedWith('AUTH_REVOKED');
  const short = await connectAs(server.url, keep(await mint({ sub: 'bob' }, { exp: expAtLeast(300) })));
  const shortId = short.id;
  await waitForExpiry(short);

  // Refusals after the handshake carry the identity of the context in force (never anything of a refused token).
  const alice = { subject: 'alice', sessionId: 's-1', tokenId: 'j-1' };
  expect(of('onAuthFailure')).toEqual([
    { code: 'AUTH_INVALID', stage: 'handshake', socketId: expect.any(String), namespace: '/' },
    { code: 'AUTH_EXPIRED', stage: 'handshake', socketId: expect.any(String), namespace: '/' },
    { code: 'AUTH_INVALID', stage: 'handshake', socketId: expect.any(String), namespace: '/' },
    { code: 'AUTH_INVALID', stage: 'handshake', socketId: expect.any(String), namespace: '/' },
    { code: 'AUTH_FORBIDDEN', stage: 'event', socketId, namespace: '/', event: 'chat:send', ...alice },
    { code: 'AUTH_IDENTITY_MISMATCH', stage: 'reauth', socketId, namespace: '/', event: 'auth:refresh', ...alice },
  ]);
  expect(of('onAuthenticated')).toEqual([
    { socketId, namespace: '/', ...alice, expiresAt: expect.any(Number), stage: 'handshake' },
    { socketId: shortId, namespace: '/', subject: 'bob', expiresAt: expect.any(Number), stage: 'handshake' },
  ]);
  expect(of('onReauth')).toEqual([
    { socketId, namespace: '/', subject: 'alice', sessionId: 's-1', tokenId: 'j-2', version: 2, expiresAt: expect.any(Number) },
  ]);
  expect(of('onRevoke')).toEqual([
    { socketId, namespace: '/', subject: 'alice', sessionId: 's-1', tokenId: 'j-2', kind: 'subject', revokedAt: expect.any(Number) },
  ]);
  // When the revocation was made (the issuer's clock skew taken off again): in this test, just now.
  expect(Math.abs(Date.now() - (of('onRevoke')[0] as { revokedAt: number }).revokedAt)).toBeLessThan(10_000);
  expect(of('onExpire')).toEqual([{ socketId: shortId, namespace: '/', subject: 'bob' }]);

  expect(tokens).toHaveLength(7);
  expect(leakedTokenFragments(JSON.stringify(calls), tokens)).toEqual([]);
});

test('hooks receive plain data only: no socket, no context, no claims', async () => {
  const { calls, hooks } = recordingHooks();
  const server = await startServer({ auth: { hooks } });
  const socket = await connectAs(server.url, await mint({ sub: 'alice', secretClaim: 'do-not-log' }));
  await socket.emitWithAck('unlisted');
  await server.auth.revoke({ subject: 'alice' });

  expect(calls.length).toBeGreaterThanOrEqual(3);
  for (const { info } of calls) {
    for (const value of Object.values(info)) expect(['string', 'number']).toContain(typeof value);
  }
  expect(JSON.stringify(calls)).not.toContain('do-not-log');
});

test('the event name given to onAuthFailure is truncated', async () => {
  const { hooks, of } = recordingHooks();
  const server = await startServer({ auth: { hooks } });
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }));

  await socket.emitWithAck('x'.repeat(5000));

  const [failure] = of('onAuthFailure');
  expect(failure).toMatchObject({ code: 'AUTH_FORBIDDEN', stage: 'event' });
  expect(String(failure?.['event']).length).toBeLessThanOrEqual(101);
});

test('hooks that throw never break handshakes, events, re-auth, revocation or expiry', async () => {
  const boom = (): never => {
    throw new Error('hook bug');
  };
  const server = await startServer({
    auth: {
      warnBeforeSec: 0,
      events: { whoami: null },
      hooks: { onAuthFailure: boom, onAuthenticated: boom, onReauth: boom, onRevoke: boom, onExpire: boom },
    },
  });
  installApp(server.io, server.auth);

  await expect(connectAs(server.url, 'garbage')).rejects.toMatchObject({ code: 'AUTH_INVALID', action: 'login' });
  const socket = await connectAs(server.url, await mint({ sub: 'alice' }, { iat: nowSec() - 5 }));
  await expect(socket.emitWithAck('unlisted')).toBeForbidden();
  expect(await socket.emitWithAck('auth:refresh', { token: await mint({ sub: 'alice' }, { iat: nowSec() - 5 }) })).toMatchObject({ ok: true, version: 2 });
  expect((await socket.emitWithAck('whoami')).version).toBe(2);

  expect(await server.auth.revoke({ subject: 'alice' })).toEqual({ disconnected: 1 });
  await expect(socket).toBeDisconnectedWith('AUTH_REVOKED');

  const short = await connectAs(server.url, await mint({ sub: 'bob' }, { exp: expAtLeast(200) }));
  expect(await waitForExpiry(short)).toMatchObject({ error: { code: 'AUTH_EXPIRED' }, reason: 'io server disconnect' });
  expect(server.auth.size).toBe(0);
});
