/**
 * Hostile tokens at the handshake, over the wire, against both adapters: forged and unsigned tokens, algorithm
 * and key confusion, hostile `kid`/`jku`/`x5u`/`jwk`/`x5c`/`crit`/`b64` headers, JWE where a JWS is expected,
 * duplicate JSON members and non-object payloads (RFC 8725, OWASP JWT cheat sheet, published JWT library CVEs).
 * Every case asserts the exact code, that the socket was refused before any connection or event handler, and
 * (in the harness) that nothing emitted contains the token or key material.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CompactEncrypt, base64url, compactVerify, exportJWK } from 'jose';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { closeAfterTest } from '@sockauth/testing';
import {
  P256_ORDER,
  SEC_AUDIENCE,
  SEC_ISSUER,
  claimsFor,
  nowSec,
  signHs,
  signRawHs,
  signRawPayloadHs,
  signWith,
  unsigned,
  withEs256Signature,
  type SuiteKeys,
} from '../support/hostile-tokens';
import { expectRefusedHandshake, useHarness } from './harness';

const h = useHarness();

/** A loopback HTTP server that records every request (a jku/x5u target, or a JWKS endpoint). */
async function recordingEndpoint(body: (req: IncomingMessage) => unknown): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = [];
  const http = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body(req)));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closeAfterTest(() => new Promise<void>((resolve) => http.close(() => resolve())));
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`, requests };
}

function rsVerifier(k: SuiteKeys) {
  return { algorithms: ['RS256'] as const, publicKey: k.rsa.publicPem, issuer: SEC_ISSUER, audience: SEC_AUDIENCE };
}
function esVerifier(k: SuiteKeys) {
  return { algorithms: ['ES256'] as const, publicKey: k.ec.publicKey, issuer: SEC_ISSUER, audience: SEC_AUDIENCE };
}
function jwksVerifier(k: SuiteKeys) {
  return { algorithms: ['RS256', 'ES256'] as const, jwks: k.jwks, issuer: SEC_ISSUER, audience: SEC_AUDIENCE };
}

describe.each(ADAPTERS)('%s: forged, unsigned and confused tokens', (_name, start) => {
  async function expectRefused(server: AdapterServer, token: string, code: 'AUTH_INVALID' | 'AUTH_MISSING' = 'AUTH_INVALID') {
    const error = await h.refused(server.url, { auth: { token: h.secret(token) } });
    expectRefusedHandshake(h, server, error, code);
  }

  test.each(['none', 'None', 'NONE', 'nOnE'])('alg "%s" with an empty signature → AUTH_INVALID', async (alg) => {
    const server = await h.start(start);
    await expectRefused(server, unsigned(alg, claimsFor('mallory', { scope: 'chat:admin' })));
  });

  test('alg "none" carrying a genuine HS256 signature of the same input → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const valid = await signHs(h.keys, claimsFor('mallory'));
    const signature = valid.split('.')[2]!;
    await expectRefused(server, unsigned('none', claimsFor('mallory'), signature));
  });

  test('HS/RS key confusion: HS256 keyed with the server RSA public key PEM on an RS256 server → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: rsVerifier(h.keys) } });
    await expectRefused(server, await signHs(h.keys, claimsFor('mallory'), { secret: h.keys.rsa.publicPem }));
  });

  test('HS/RS key confusion: HS256 keyed with the JWK modulus on a JWKS server → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: jwksVerifier(h.keys) } });
    const modulus = h.keys.rsa.publicJwk.n!;
    await expectRefused(server, await signHs(h.keys, claimsFor('mallory'), { secret: modulus, header: { kid: 'rs-1' } }));
  });

  test('an RS256 token (attacker key) on an HS256 server → AUTH_INVALID', async () => {
    const server = await h.start(start);
    await expectRefused(server, await signWith(h.keys.attackerRsa.privateKey, 'RS256', claimsFor('mallory')));
  });

  test('HS512 with the right secret on an HS256-only server (algorithm outside the allow-list) → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const { SignJWT } = await import('jose');
    const token = await new SignJWT(claimsFor('mallory')).setProtectedHeader({ alg: 'HS512' }).sign(new TextEncoder().encode(h.keys.secret));
    await expectRefused(server, token);
  });

  test('HS256 signed with another secret → AUTH_INVALID', async () => {
    const server = await h.start(start);
    await expectRefused(server, await signHs(h.keys, claimsFor('mallory'), { secret: h.keys.attackerSecret }));
  });

  test('a genuine token with its signature stripped → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const valid = h.secret(await signHs(h.keys, claimsFor('alice')));
    await expectRefused(server, valid.slice(0, valid.lastIndexOf('.') + 1));
  });

  test('ES256 "psychic signature" r = s = 0 (CVE-2022-21449) → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: esVerifier(h.keys) } });
    const genuine = h.secret(await signWith(h.keys.ec.privateKey, 'ES256', claimsFor('alice')));
    const psychic = withEs256Signature(genuine, 0n, 0n);
    expect(base64url.decode(psychic.split('.')[2]!)).toEqual(new Uint8Array(64));
    await expectRefused(server, psychic);
  });

  test('ES256 signature r = s = n (the group order, ≡ 0) → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: esVerifier(h.keys) } });
    const genuine = h.secret(await signWith(h.keys.ec.privateKey, 'ES256', claimsFor('alice')));
    await expectRefused(server, withEs256Signature(genuine, P256_ORDER, P256_ORDER));
  });

  test.each([
    ['path traversal', '../../../../../../etc/passwd'],
    ['a path to an empty file', '/dev/null'],
    ['SQL-ish text', "' OR '1'='1' --"],
    ['a kid absent from the JWKS', 'rs-2'],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
  ])('kid with %s on a JWKS server (signed with the genuine key) → AUTH_INVALID, nothing polluted', async (_what, kid) => {
    const server = await h.start(start, { auth: { verifier: jwksVerifier(h.keys) } });
    await expectRefused(server, await signWith(h.keys.rsa.privateKey, 'RS256', claimsFor('alice'), { kid }));
    expect(({} as Record<string, unknown>)['alg']).toBeUndefined();
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'kty')).toBe(false);
  });

  test('unknown kids against a remote JWKS: one fetch, AUTH_INVALID only for the token checked against it', async () => {
    const jwks = await recordingEndpoint(() => h.keys.jwks);
    const server = await h.start(start, {
      auth: { verifier: { algorithms: ['RS256'], jwksUri: `${jwks.url}/jwks.json`, issuer: SEC_ISSUER, audience: SEC_AUDIENCE } },
    });
    const codes: unknown[] = [];
    for (let i = 0; i < 8; i++) {
      const token = await signWith(h.keys.rsa.privateKey, 'RS256', claimsFor('alice'), { kid: `unknown-${i}` });
      codes.push((await h.refused(server.url, { auth: { token: h.secret(token) } })).data);
    }
    // The first token caused the fetch, so a set fetched after it arrived lacks its key. The later ones may name a
    // key published since, which the cooldown forbids fetching: nothing decided, never a fetch per forgery.
    expect(codes).toEqual([
      { code: 'AUTH_INVALID', action: 'login' },
      ...Array(7).fill({ code: 'AUTH_UNAVAILABLE', action: 'retry' }),
    ]);
    expect(jwks.requests).toHaveLength(1);
    expect(server.connections).toEqual([]);
    expect(server.runs).toEqual([]);
  });
});

describe.each(ADAPTERS)('%s: key-carrying headers are ignored and never fetched', (_name, start) => {
  test.each(['jku', 'x5u'] as const)('%s pointing at an attacker JWKS, token signed by the attacker → AUTH_INVALID, zero requests', async (member) => {
    const attackerJwks = { keys: [{ ...h.keys.attackerRsa.publicJwk, kid: 'rs-1', alg: 'RS256' }] };
    const target = await recordingEndpoint(() => attackerJwks);
    const server = await h.start(start, { auth: { verifier: jwksVerifier(h.keys) } });
    const token = await signWith(h.keys.attackerRsa.privateKey, 'RS256', claimsFor('mallory'), {
      kid: 'rs-1',
      [member]: `${target.url}/keys.json`,
    });
    const error = await h.refused(server.url, { auth: { token: h.secret(token) } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
    expect(target.requests).toEqual([]);
  });

  test('an embedded jwk header with the attacker public key → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: { algorithms: ['RS256'], publicKey: h.keys.rsa.publicPem } } });
    const jwk = await exportJWK(h.keys.attackerRsa.publicKey);
    const token = await signWith(h.keys.attackerRsa.privateKey, 'RS256', claimsFor('mallory'), { jwk });
    const error = await h.refused(server.url, { auth: { token: h.secret(token) } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('an embedded x5c chain with the attacker key → AUTH_INVALID', async () => {
    const server = await h.start(start, { auth: { verifier: rsVerifier(h.keys) } });
    const der = h.keys.attackerRsa.publicPem.replace(/-----[A-Z ]+-----|\s/g, '');
    const token = await signWith(h.keys.attackerRsa.privateKey, 'RS256', claimsFor('mallory'), { x5c: [der] });
    const error = await h.refused(server.url, { auth: { token: h.secret(token) } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('a genuine token carrying jku, x5u and jwk is judged on the configured key alone; nothing is fetched', async () => {
    const target = await recordingEndpoint(() => ({ keys: [] }));
    const server = await h.start(start, { auth: { verifier: rsVerifier(h.keys) } });
    const token = await signWith(h.keys.rsa.privateKey, 'RS256', claimsFor('alice'), {
      jku: `${target.url}/jku.json`,
      x5u: `${target.url}/x5u.pem`,
      jwk: await exportJWK(h.keys.attackerRsa.publicKey),
    });
    const socket = await h.connect(server.url, { auth: { token: h.secret(token) } });
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ ok: true, subject: 'alice' });
    expect(target.requests).toEqual([]);
  });
});

describe.each(ADAPTERS)('%s: header semantics and encodings', (_name, start) => {
  async function expectRefused(server: AdapterServer, token: string) {
    const error = await h.refused(server.url, { auth: { token: h.secret(token) } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  }

  test('crit naming an extension the verifier does not understand (genuine signature) → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const { CompactSign } = await import('jose');
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claimsFor('alice'))))
      .setProtectedHeader({ alg: 'HS256', crit: ['x-policy'], 'x-policy': 'allow-all' })
      .sign(new TextEncoder().encode(h.keys.secret), { crit: { 'x-policy': true } });
    await expectRefused(server, token);
  });

  test('b64:false with crit (unencoded payload, RFC 7797; genuine signature) → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const header = JSON.stringify({ alg: 'HS256', b64: false, crit: ['b64'] });
    const payload = JSON.stringify(claimsFor('alice'));
    const { createHmac } = await import('node:crypto');
    // RFC 7797: the signing input is the encoded header, a dot and the raw payload.
    const input = `${base64url.encode(header)}.${payload}`;
    const mac = base64url.encode(createHmac('sha256', h.keys.secret).update(input).digest());
    await expectRefused(server, `${base64url.encode(header)}.${base64url.encode(payload)}.${mac}`);
  });

  test('b64:false without crit, signed over the raw payload → AUTH_INVALID (never read as unencoded)', async () => {
    const server = await h.start(start);
    const header = JSON.stringify({ alg: 'HS256', b64: false });
    const payload = JSON.stringify(claimsFor('alice'));
    const { createHmac } = await import('node:crypto');
    const mac = base64url.encode(createHmac('sha256', h.keys.secret).update(`${base64url.encode(header)}.${payload}`).digest());
    await expectRefused(server, `${base64url.encode(header)}.${base64url.encode(payload)}.${mac}`);
  });

  test('a JWE (5 segments, encrypted with a key derived from the secret) where a JWS is expected → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const key = new Uint8Array(32).map((_, i) => h.keys.secret.charCodeAt(i));
    const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claimsFor('alice'))))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(key);
    expect(jwe.split('.')).toHaveLength(5);
    await expectRefused(server, jwe);
  });

  test('duplicate "sub" in the payload, genuine signature over those bytes → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const now = nowSec();
    const payload = `{"sub":"alice","iss":"${SEC_ISSUER}","aud":"${SEC_AUDIENCE}","iat":${now},"exp":${now + 300},"sub":"admin"}`;
    const token = await signRawPayloadHs(h.keys.secret, payload);
    // The signature is genuine: only the duplicate is wrong.
    await expect(compactVerify(token, new TextEncoder().encode(h.keys.secret))).resolves.toBeDefined();
    await expectRefused(server, token);
  });

  test('duplicate "scope" spelled with a JSON escape ("sc\\u006fpe"), genuine signature → AUTH_INVALID', async () => {
    const server = await h.start(start);
    const now = nowSec();
    const payload = `{"sub":"alice","iss":"${SEC_ISSUER}","aud":"${SEC_AUDIENCE}","exp":${now + 300},"scope":"chat:read","sc\\u006fpe":"chat:admin"}`;
    await expectRefused(server, await signRawPayloadHs(h.keys.secret, payload));
  });

  test('duplicate "alg" in the header ("none" then "HS256"), genuine HMAC → AUTH_INVALID', async () => {
    const server = await h.start(start);
    await expectRefused(server, signRawHs(h.keys.secret, '{"alg":"none","alg":"HS256"}', JSON.stringify(claimsFor('alice'))));
  });

  test.each([
    ['an array', '["HS256"]'],
    ['an object', '{"name":"HS256"}'],
    ['a number', '256'],
  ])('header alg as %s → AUTH_INVALID', async (_what, alg) => {
    const server = await h.start(start);
    await expectRefused(server, signRawHs(h.keys.secret, `{"alg":${alg}}`, JSON.stringify(claimsFor('alice'))));
  });

  test.each([
    ['a string', '"alice"'],
    ['a number', '42'],
    ['an array', '[{"sub":"alice"}]'],
    ['null', 'null'],
    ['true', 'true'],
  ])('a payload that is %s (genuine signature) → AUTH_INVALID', async (_what, payload) => {
    const server = await h.start(start);
    await expectRefused(server, await signRawPayloadHs(h.keys.secret, payload));
  });

  test('a payload member named __proto__ grants nothing and pollutes nothing', async () => {
    const server = await h.start(start);
    const now = nowSec();
    const payload = `{"sub":"alice","iss":"${SEC_ISSUER}","aud":"${SEC_AUDIENCE}","exp":${now + 300},"__proto__":{"scope":"chat:admin","permissions":["chat:admin"]}}`;
    const socket = await h.connect(server.url, { auth: { token: h.secret(await signRawPayloadHs(h.keys.secret, payload)) } });
    await expect(h.ack(socket, 'admin:kick')).resolves.toEqual({
      error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) },
    });
    expect(server.runs.map((run) => run.event)).toEqual([]);
    expect(socket.connected).toBe(true);
    expect(({} as Record<string, unknown>)['scope']).toBeUndefined();
  });
});
