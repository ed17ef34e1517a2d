import { decodeJwt, type JWTPayload } from 'jose';
import { AuthInvalidError, createAuthContext, createVerifier, defaultMapClaims } from '@sockauth/core';
import {
  authEventsOf,
  closeAll,
  connectAs,
  createTestIssuer,
  serveJwks,
  waitForCut,
  waitForExpiry,
} from '../src/index.js';
import { chatServer } from './servers.js';

describe('createTestIssuer', () => {
  test('mints HS256 tokens the real verifier accepts, with permissions as a claim', async () => {
    const issuer = await createTestIssuer();
    const verifier = createVerifier(issuer.verifierOptions());
    const { payload } = await verifier.verify(await issuer.mint({ sub: 'alice', permissions: ['chat:read'], ttlSec: 30 }));
    expect(payload).toMatchObject({ sub: 'alice', permissions: ['chat:read'], iss: 'sockauth-test', aud: 'sockauth-test' });
    // iat to the millisecond, exp in whole seconds: exp is iat's second + ttl.
    expect(payload.exp! - Math.floor(payload.iat!)).toBe(30);
    expect(issuer.secret).toMatch(/^[A-Za-z0-9_-]{43,}$/);
  });

  test('mintExpired gives a token the verifier refuses with AUTH_EXPIRED', async () => {
    const issuer = await createTestIssuer();
    await expect(createVerifier(issuer.verifierOptions()).verify(await issuer.mintExpired({ sub: 'a' }))).rejects.toMatchObject({
      code: 'AUTH_EXPIRED',
    });
  });

  test('an ES256 issuer serves its JWKS on loopback and a rotation is picked up by the remote verifier', async () => {
    const issuer = await createTestIssuer({ alg: 'ES256' });
    const verifier = createVerifier(await issuer.remoteVerifierOptions());
    await verifier.verify(await issuer.mint({ sub: 'alice' }));
    const server = await issuer.serveJwks();
    expect(server.requests).toBe(1);

    await issuer.rotate();
    await expect(verifier.verify(await issuer.mint({ sub: 'alice' }))).resolves.toBeDefined();
    expect(server.requests).toBe(2);
    expect(issuer.jwks().keys).toHaveLength(2);
    await issuer.close();
  });

  test('serveJwks answers 503 while keys() throws (an outage), counting those requests too', async () => {
    const issuer = await createTestIssuer({ alg: 'ES256' });
    let down = true;
    const server = await serveJwks(() => {
      if (down) throw new Error('outage');
      return issuer.jwks();
    });
    try {
      expect((await fetch(server.url)).status).toBe(503);
      down = false;
      expect(await (await fetch(server.url)).json()).toEqual(issuer.jwks());
      expect(server.requests).toBe(2);
    } finally {
      await server.close();
    }
  });

  test('after a rotation that drops the previous key, old tokens are refused', async () => {
    const issuer = await createTestIssuer({ alg: 'RS256' });
    const old = await issuer.mint({ sub: 'alice' });
    await issuer.rotate({ dropPrevious: true });
    await expect(createVerifier(issuer.verifierOptions()).verify(old)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
  });

  test('mintFor copies the context\'s claims, mints new time claims and drops jti; claims and keepClaims override', async () => {
    const issuer = await createTestIssuer();
    const verifier = createVerifier(issuer.verifierOptions());
    const past = Math.floor(Date.now() / 1000) - 100;
    const original = await verifier.verify(
      await issuer.mint({ sub: 'alice', sid: 's1', jti: 'j1', tenant: 'acme', scope: 'chat:read', org: { id: 7 }, iat: past, nbf: past, exp: past + 200 }),
    );
    const context = createAuthContext(original.payload);
    const mintedFor = async (...args: Parameters<typeof issuer.mintFor> extends [unknown, ...infer R] ? R : never) =>
      (await verifier.verify(await issuer.mintFor(context, ...args))).payload;

    const fresh = await mintedFor();
    expect(fresh).toEqual({
      sub: 'alice',
      sid: 's1',
      tenant: 'acme',
      scope: 'chat:read',
      org: { id: 7 },
      iss: 'sockauth-test',
      aud: 'sockauth-test',
      iat: expect.any(Number),
      exp: expect.any(Number),
    });
    expect(fresh.iat!).toBeGreaterThan(past);
    expect(fresh.exp! - Math.floor(fresh.iat!)).toBe(300);

    const overridden = await mintedFor({ jti: context.tokenId, ttlSec: 30 });
    expect(overridden).toMatchObject({ jti: 'j1', tenant: 'acme' });
    expect(overridden.exp! - Math.floor(overridden.iat!)).toBe(30);
    expect(await mintedFor({ tenant: undefined })).not.toHaveProperty('tenant');
    const bare = await mintedFor({}, { keepClaims: false });
    expect(bare).toEqual({ sub: 'alice', sid: 's1', permissions: ['chat:read'], iss: 'sockauth-test', aud: 'sockauth-test', iat: expect.any(Number), exp: expect.any(Number) });
  });

  test("signs with a given secret (the app's own), refused for asymmetric issuers and when too short", async () => {
    const secret = 'the-application-jwt-secret-0123456789';
    const issuer = await createTestIssuer({ secret });
    expect(issuer.secret).toBe(secret);
    const appVerifier = createVerifier({ algorithms: ['HS256'], secret, issuer: 'sockauth-test', audience: 'sockauth-test' });
    await expect(appVerifier.verify(await issuer.mint({ sub: 'alice' }))).resolves.toBeDefined();
    const other = await createTestIssuer({ secret: 'another-secret-of-at-least-32-bytes-0123' });
    await expect(appVerifier.verify(await other.mint({ sub: 'alice' }))).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    await expect(createTestIssuer({ alg: 'ES256', secret })).rejects.toThrow(TypeError);
    await expect(createTestIssuer({ secret: 'x'.repeat(31) })).rejects.toThrow(TypeError);
    await expect(createTestIssuer({ secret: 42 as never })).rejects.toThrow(TypeError);
  });

  test('a registered claim given as undefined is left out, and a verifier that requires it refuses the token', async () => {
    const issuer = await createTestIssuer();
    const token = await issuer.mint({ sub: 'alice', aud: undefined, iss: undefined, iat: undefined });
    const { aud, iss, iat, exp } = decodeJwt(token);
    expect({ aud, iss, iat }).toEqual({ aud: undefined, iss: undefined, iat: undefined });
    expect(exp).toEqual(expect.any(Number));
    await expect(createVerifier(issuer.verifierOptions()).verify(token)).rejects.toMatchObject({ code: 'AUTH_INVALID' });
  });

  test('HS issuers have no JWKS and unknown algorithms are refused', async () => {
    const issuer = await createTestIssuer();
    expect(() => issuer.jwks()).toThrow(TypeError);
    await expect(createTestIssuer({ alg: 'none' as never })).rejects.toThrow(TypeError);
  });
});

describe('connectAs and the matchers, against a real server', () => {
  test('connects with claims minted by the issuer', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice' }, { issuer });
    expect(await socket.emitWithAck('whoami')).toBe('alice');
  });

  test('toBeRefusedWith matches the code of a refused handshake, and fails for another code or a connection', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    await expect(connectAs(io, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED');
    await expect(connectAs(io, undefined)).toBeRefusedWith('AUTH_MISSING');
    await expect(connectAs(io, 'garbage')).not.toBeRefusedWith('AUTH_EXPIRED');
    await expect(expect(connectAs(io, { sub: 'carol' }, { issuer })).toBeRefusedWith('AUTH_INVALID')).rejects.toThrow(
      /but it connected/,
    );
  });

  test('toBeForbidden matches a denied ack and not an allowed one', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const reader = await connectAs(io, { sub: 'alice', permissions: ['chat:read'] }, { issuer });
    await expect(reader.emitWithAck('chat:send', { text: 'hi' })).toBeForbidden();
    const writer = await connectAs(io, { sub: 'bob', permissions: ['chat:write'] }, { issuer });
    await expect(writer.emitWithAck('chat:send', { text: 'hi' })).not.toBeForbidden();
  });

  test('toBeDisconnectedWith waits for auth:error and the disconnect of a revoked socket', async () => {
    const issuer = await createTestIssuer();
    const { io, auth } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice' }, { issuer });
    await auth.revoke({ subject: 'alice' });
    await expect(socket).toBeDisconnectedWith('AUTH_REVOKED');
    await expect(expect(socket).toBeDisconnectedWith('AUTH_EXPIRED', { timeoutMs: 100 })).rejects.toThrow(/AUTH_REVOKED/);
  });

  test('waitForExpiry resolves when the real server expires a short-lived token', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice', ttlSec: 3 }, { issuer });
    const cut = await waitForExpiry(socket, { timeoutMs: 8_000 });
    expect(cut).toEqual({ error: expect.objectContaining({ code: 'AUTH_EXPIRED', action: 'refresh' }), reason: 'io server disconnect' });
    expect(authEventsOf(socket)?.expiring.length).toBeGreaterThanOrEqual(1);
  });

  test('waitForCut rejects after its timeout when nothing happens', async () => {
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice' }, { issuer });
    await expect(waitForCut(socket, { timeoutMs: 50 })).rejects.toThrow(/not cut/);
  });

  test('mintFor produces a re-auth token for the same identity that the server accepts in band', async () => {
    const issuer = await createTestIssuer();
    const { io, auth } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice', sid: 's1', permissions: ['chat:read'] }, { issuer });
    const serverSocket = [...io.of('/').sockets.values()][0]!;
    const context = auth.contextOf(serverSocket)!;
    const ack = await socket.emitWithAck('auth:refresh', { token: await issuer.mintFor(context, { permissions: ['chat:write'] }) });
    expect(ack).toEqual({ ok: true, expiresAt: expect.any(Number), version: 2 });
    await expect(socket.emitWithAck('chat:send', {})).resolves.toEqual({ ok: true });
  });

  test('mintFor keeps custom claims, so a refresh passes the app\'s mapClaims and authorize that need them', async () => {
    const issuer = await createTestIssuer();
    const tenantOf = (claims: JWTPayload): string => {
      const tenant = claims['tenant'];
      if (typeof tenant !== 'string') throw new AuthInvalidError('no tenant');
      return tenant;
    };
    const { io, auth } = await chatServer(issuer, {
      mapClaims: (claims) => ({ ...defaultMapClaims(claims), user: { tenant: tenantOf(claims) } }),
      authorize: (context) => tenantOf(context.claims) === 'acme',
    });
    const socket = await connectAs(io, { sub: 'alice', tenant: 'acme', permissions: ['chat:write'] }, { issuer });
    const context = auth.contextOf([...io.of('/').sockets.values()][0]!)!;

    const ack = await socket.emitWithAck('auth:refresh', { token: await issuer.mintFor(context) });
    expect(ack).toEqual({ ok: true, expiresAt: expect.any(Number), version: 2 });
    await expect(socket.emitWithAck('chat:send', {})).resolves.toEqual({ ok: true });
    // Without the claim the app refuses the refresh: the assertion above is not vacuous.
    const bare = await socket.emitWithAck('auth:refresh', { token: await issuer.mintFor(context, {}, { keepClaims: false }) });
    expect(bare).toEqual({ ok: false, error: expect.objectContaining({ code: 'AUTH_INVALID' }) });
  });

  test('connectAs with claims but no issuer is a TypeError, and sockets are closed after each test', async () => {
    await expect(connectAs('http://127.0.0.1:1', { sub: 'x' })).rejects.toThrow(TypeError);
    const issuer = await createTestIssuer();
    const { io } = await chatServer(issuer);
    const socket = await connectAs(io, { sub: 'alice' }, { issuer });
    await closeAll();
    expect(socket.connected).toBe(false);
  });
});
