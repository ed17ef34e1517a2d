import { createHmac, createPublicKey, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  CompactEncrypt,
  CompactSign,
  EncryptJWT,
  base64url,
  errors as joseErrors,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import {
  AuthError,
  AuthRevokedError,
  DEFAULT_CLOCK_TOLERANCE_SEC,
  DEFAULT_MAX_TOKEN_BYTES,
  MAX_CLOCK_TOLERANCE_SEC,
  createVerifier,
  isAuthError,
  mapVerificationError,
} from '../src/index.js';
import type { AuthErrorCode, Verifier, VerifierOptions } from '../src/index.js';
import { NOW_MS, NOW_SEC, SECRET, SECRET_BYTES, claims, rejectionOf, sign } from './support.js';

const encoder = new TextEncoder();

function hsVerifier(extra: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_MS, ...extra });
}

/** Verifies and returns the AuthError, asserting that nothing but an AuthError ever comes out. */
async function failure(verifier: Verifier, token: unknown): Promise<AuthError> {
  const error = await rejectionOf(verifier.verify(token));
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return error;
}

async function codeOf(verifier: Verifier, token: unknown): Promise<AuthErrorCode> {
  return (await failure(verifier, token)).code;
}

/** An unsigned token with `header`, built with jose's base64url (never hand-rolled). */
function unsigned(header: object, payload: JWTPayload = claims()): string {
  return `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}.`;
}

describe('createVerifier configuration', () => {
  it('exposes the defaults the design names', () => {
    expect(DEFAULT_CLOCK_TOLERANCE_SEC).toBe(5);
    expect(MAX_CLOCK_TOLERANCE_SEC).toBe(300);
    expect(DEFAULT_MAX_TOKEN_BYTES).toBe(8192);
    const verifier = createVerifier({ algorithms: ['HS256'], secret: SECRET });
    expect(verifier.clockToleranceSec).toBe(5);
    expect(verifier.now).toBe(Date.now);
  });

  it('returns a frozen verifier with a frozen, de-duplicated allow-list', () => {
    const verifier = createVerifier({ algorithms: ['HS256', 'HS512', 'HS256'], secret: SECRET });
    expect(verifier.algorithms).toEqual(['HS256', 'HS512']);
    expect(Object.isFrozen(verifier)).toBe(true);
    expect(Object.isFrozen(verifier.algorithms)).toBe(true);
  });

  it('uses the injected clock', () => {
    const now = (): number => 42;
    expect(hsVerifier({ now }).now).toBe(now);
  });

  it.each([
    ['missing', undefined],
    ['empty', []],
    ['not an array', 'HS256'],
    ['none', ['none']],
    ['None', ['None']],
    ['unknown', ['HS1']],
    ['not a string', [256]],
    ['mixed HS and RS', ['HS256', 'RS256']],
    ['mixed RS and HS', ['ES256', 'HS512']],
  ])('refuses an algorithms list that is %s', (_, algorithms) => {
    expect(() => createVerifier({ algorithms, secret: SECRET } as unknown as VerifierOptions)).toThrow(TypeError);
  });

  it('refuses missing options', () => {
    expect(() => createVerifier(undefined as unknown as VerifierOptions)).toThrow(TypeError);
    expect(() => createVerifier(null as unknown as VerifierOptions)).toThrow(TypeError);
  });

  it('refuses an HMAC secret shorter than 32 bytes', () => {
    expect(() => createVerifier({ algorithms: ['HS256'], secret: 'x'.repeat(31) })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], secret: new Uint8Array(31) })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], secret: 'x'.repeat(32) })).not.toThrow();
    expect(() => createVerifier({ algorithms: ['HS256'], secret: new Uint8Array(32) })).not.toThrow();
  });

  it('counts the secret in UTF-8 bytes, not characters', () => {
    // 16 characters, 32 bytes.
    expect(() => createVerifier({ algorithms: ['HS256'], secret: 'é'.repeat(16) })).not.toThrow();
  });

  it('accepts a secret KeyObject and refuses an asymmetric KeyObject as a secret', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createVerifier({ algorithms: ['HS256'], secret: createSecretKey(SECRET_BYTES) })).not.toThrow();
    expect(() => createVerifier({ algorithms: ['HS256'], secret: publicKey })).toThrow(TypeError);
  });

  it('refuses a secret of the wrong type', () => {
    expect(() => createVerifier({ algorithms: ['HS256'], secret: 12345 as unknown as string })).toThrow(TypeError);
  });

  it('requires exactly one key source', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createVerifier({ algorithms: ['HS256'] })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['ES256'], publicKey, jwks: { keys: [] } })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], secret: SECRET, verify: () => ({}) })).toThrow(TypeError);
    expect(() =>
      createVerifier({ algorithms: ['ES256'], jwksUri: 'https://example.test/jwks', publicKey }),
    ).toThrow(TypeError);
  });

  it('refuses a key source that does not fit the algorithm family', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createVerifier({ algorithms: ['RS256'], secret: SECRET })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], publicKey })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], jwks: { keys: [] } })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['HS256'], jwksUri: 'https://example.test/jwks' })).toThrow(TypeError);
  });

  it('refuses malformed public keys', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => createVerifier({ algorithms: ['ES256'], publicKey: 'not a pem' })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['ES256'], publicKey: createSecretKey(SECRET_BYTES) })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['ES256'], publicKey: 42 as unknown as string })).toThrow(TypeError);
    expect(() =>
      createVerifier({ algorithms: ['ES256'], publicKey: { type: 'private' } as unknown as CryptoKey }),
    ).toThrow(TypeError);
    // A private KeyObject is reduced to its public half rather than refused.
    expect(() => createVerifier({ algorithms: ['ES256'], publicKey: privateKey })).not.toThrow();
  });

  it('refuses a malformed JWKS and a JWKS URL that is not absolute http(s)', () => {
    expect(() => createVerifier({ algorithms: ['RS256'], jwks: {} as never })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['RS256'], jwks: null as never })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['RS256'], jwksUri: '/relative/jwks.json' })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['RS256'], jwksUri: 'ftp://example.test/jwks' })).toThrow(TypeError);
    expect(() => createVerifier({ algorithms: ['RS256'], jwksUri: new URL('https://example.test/jwks') })).not.toThrow();
  });

  it.each<[string, Partial<VerifierOptions>]>([
    ['issuer', { issuer: 'https://auth.example.test' }],
    ['audience', { audience: 'chat' }],
    ['typ', { typ: 'at+jwt' }],
    ['maxTokenAgeSec', { maxTokenAgeSec: 60 }],
  ])('refuses %s with a custom verify, which could not enforce it', (_, extra) => {
    expect(() => createVerifier({ algorithms: ['HS256'], verify: () => claims(), ...extra })).toThrow(TypeError);
  });

  it('refuses a custom verify that is not a function', () => {
    expect(() => createVerifier({ algorithms: ['HS256'], verify: 'jwt' as never })).toThrow(TypeError);
  });

  it.each([[-1], [301], [Number.NaN], [Number.POSITIVE_INFINITY], ['5']])(
    'refuses clockToleranceSec %p',
    (clockToleranceSec) => {
      expect(() => hsVerifier({ clockToleranceSec: clockToleranceSec as number })).toThrow(TypeError);
    },
  );

  it('accepts clockToleranceSec from 0 to 300', () => {
    expect(hsVerifier({ clockToleranceSec: 0 }).clockToleranceSec).toBe(0);
    expect(hsVerifier({ clockToleranceSec: 300 }).clockToleranceSec).toBe(300);
  });

  it('refuses out-of-range maxTokenBytes, maxTokenAgeSec, requiredClaims and now', () => {
    expect(() => hsVerifier({ maxTokenBytes: 63 })).toThrow(TypeError);
    expect(() => hsVerifier({ maxTokenBytes: 2 ** 20 + 1 })).toThrow(TypeError);
    expect(() => hsVerifier({ maxTokenAgeSec: 0 })).toThrow(TypeError);
    expect(() => hsVerifier({ requiredClaims: [''] })).toThrow(TypeError);
    expect(() => hsVerifier({ requiredClaims: [7 as unknown as string] })).toThrow(TypeError);
    expect(() => hsVerifier({ now: 5 as unknown as () => number })).toThrow(TypeError);
  });
});

describe('verify with an HMAC secret', () => {
  it('accepts a valid HS256 token and returns its claims and header', async () => {
    const token = await sign(claims({ scope: 'chat:read' }));
    const { payload, header } = await hsVerifier().verify(token);
    expect(payload).toMatchObject({ sub: 'alice', scope: 'chat:read', exp: NOW_SEC + 3600 });
    expect(header).toEqual({ alg: 'HS256' });
  });

  it('accepts HS384 and HS512 when listed', async () => {
    const verifier = hsVerifier({ algorithms: ['HS384', 'HS512'] });
    await expect(verifier.verify(await sign(claims(), { header: { alg: 'HS384' } }))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(claims(), { header: { alg: 'HS512' } }))).resolves.toBeDefined();
  });

  it('refuses an algorithm that is not in the allow-list', async () => {
    const token = await sign(claims(), { header: { alg: 'HS512' } });
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await sign(claims(), { key: encoder.encode('another-secret-that-is-long-enough-0123456789') });
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses a token signed with alg %s', async (alg) => {
    expect(await codeOf(hsVerifier(), unsigned({ alg }))).toBe('AUTH_INVALID');
    expect(await codeOf(hsVerifier(), unsigned({ alg, typ: 'JWT' }))).toBe('AUTH_INVALID');
  });

  it('refuses an alg none token whose signature part is not empty', async () => {
    const real = await sign(claims());
    const signature = real.split('.')[2]!;
    expect(await codeOf(hsVerifier(), unsigned({ alg: 'none' }) + signature)).toBe('AUTH_INVALID');
  });

  it('refuses a token whose payload was tampered with', async () => {
    const [header, , signature] = (await sign(claims())).split('.');
    const forged = base64url.encode(JSON.stringify(claims({ sub: 'admin', scope: 'admin:*' })));
    expect(await codeOf(hsVerifier(), `${header}.${forged}.${signature}`)).toBe('AUTH_INVALID');
  });

  it('refuses a token whose header was tampered with', async () => {
    const [, payload, signature] = (await sign(claims())).split('.');
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', kid: 'x' }));
    expect(await codeOf(hsVerifier(), `${header}.${payload}.${signature}`)).toBe('AUTH_INVALID');
  });

  it('refuses a token with a crit header naming an unknown extension', async () => {
    // jose will not sign an unknown crit extension, so the HMAC is computed directly over the signing input.
    const signingInput = `${base64url.encode(JSON.stringify({ alg: 'HS256', crit: ['exp-ext'], 'exp-ext': true }))}.${base64url.encode(JSON.stringify(claims()))}`;
    const signature = base64url.encode(createHmac('sha256', SECRET_BYTES).update(signingInput).digest());
    const token = `${signingInput}.${signature}`;
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
    // The same construction without crit verifies, so the refusal is about crit alone.
    const plainInput = `${base64url.encode(JSON.stringify({ alg: 'HS256' }))}.${base64url.encode(JSON.stringify(claims()))}`;
    const plain = `${plainInput}.${base64url.encode(createHmac('sha256', SECRET_BYTES).update(plainInput).digest())}`;
    await expect(hsVerifier().verify(plain)).resolves.toBeDefined();
  });

  it('refuses a signed payload that is not a JSON object', async () => {
    const token = await new CompactSign(encoder.encode('"just a string"')).setProtectedHeader({ alg: 'HS256' }).sign(SECRET_BYTES);
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
  });
});

describe('token shape', () => {
  it.each([[undefined], [null], ['']])('answers AUTH_MISSING with action login for %p', async (token) => {
    const error = await failure(hsVerifier(), token);
    expect(error.code).toBe('AUTH_MISSING');
    expect(error.action).toBe('login');
  });

  it.each([[42], [{ token: 'x' }], [['a.b.c']], [true]])('answers AUTH_INVALID for the non-string %p', async (token) => {
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
  });

  it.each([
    'not a jwt',
    'a.b.c',
    '..',
    'a.b',
    'Bearer x.y.z',
    '{"sub":"alice","exp":9999999999}',
    JSON.stringify({ alg: 'HS256', sub: 'alice' }),
  ])('refuses the garbage %p', async (token) => {
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
  });

  it('refuses a compact JWE (five parts)', async () => {
    const key = new Uint8Array(32).fill(7);
    const jwe = await new CompactEncrypt(encoder.encode(JSON.stringify(claims())))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .encrypt(key);
    expect(jwe.split('.')).toHaveLength(5);
    expect(await codeOf(hsVerifier(), jwe)).toBe('AUTH_INVALID');
  });

  it('refuses an encrypted JWT even when the verifier secret is the encryption key', async () => {
    const jwt = await new EncryptJWT(claims()).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(SECRET_BYTES.slice(0, 32));
    expect(await codeOf(hsVerifier(), jwt)).toBe('AUTH_INVALID');
  });

  it('refuses a non-JWT string over the size limit as AUTH_INVALID', async () => {
    const error = await failure(hsVerifier(), 'a'.repeat(9000));
    expect(error.code).toBe('AUTH_INVALID');
    // Refused by the size check itself, not by a parser.
    expect(error.cause).toBeUndefined();
  });

  it('refuses an oversize token before parsing it: an expired one is not even recognised as expired', async () => {
    const token = await sign(claims({ exp: NOW_SEC - 3600, pad: 'p'.repeat(9000) }));
    expect(token.length).toBeGreaterThan(DEFAULT_MAX_TOKEN_BYTES);
    expect(await codeOf(hsVerifier(), token)).toBe('AUTH_INVALID');
    expect(await codeOf(hsVerifier({ maxTokenBytes: 16_384 }), token)).toBe('AUTH_EXPIRED');
  });

  it('accepts a token of exactly maxTokenBytes and refuses one byte more', async () => {
    const verify = jest.fn(() => claims());
    const verifier = createVerifier({ algorithms: ['HS256'], verify, maxTokenBytes: 100, now: () => NOW_MS });
    await expect(verifier.verify('t'.repeat(100))).resolves.toBeDefined();
    expect(await codeOf(verifier, 't'.repeat(101))).toBe('AUTH_INVALID');
    expect(verify).toHaveBeenCalledTimes(1);
  });

  it('counts the size in UTF-8 bytes, not UTF-16 units', async () => {
    const verify = jest.fn();
    const verifier = createVerifier({ algorithms: ['HS256'], verify, maxTokenBytes: 100 });
    // 60 characters, 120 bytes.
    expect(await codeOf(verifier, 'é'.repeat(60))).toBe('AUTH_INVALID');
    expect(verify).not.toHaveBeenCalled();
  });

  it('never calls a custom verify function for an oversize token', async () => {
    const verify = jest.fn(() => claims());
    const verifier = createVerifier({ algorithms: ['HS256'], verify, now: () => NOW_MS });
    expect(await codeOf(verifier, 'x'.repeat(DEFAULT_MAX_TOKEN_BYTES + 1))).toBe('AUTH_INVALID');
    expect(verify).not.toHaveBeenCalled();
    await verifier.verify('x'.repeat(DEFAULT_MAX_TOKEN_BYTES));
    expect(verify).toHaveBeenCalledTimes(1);
  });
});

describe('time claims', () => {
  it('answers AUTH_EXPIRED with action refresh for an expired token', async () => {
    const error = await failure(hsVerifier(), await sign(claims({ exp: NOW_SEC - 60 })));
    expect(error.code).toBe('AUTH_EXPIRED');
    expect(error.action).toBe('refresh');
  });

  it('answers AUTH_NOT_YET_VALID with action retry for nbf in the future', async () => {
    const error = await failure(hsVerifier(), await sign(claims({ nbf: NOW_SEC + 60 })));
    expect(error.code).toBe('AUTH_NOT_YET_VALID');
    expect(error.action).toBe('retry');
  });

  it('accepts nbf in the future within the clock tolerance', async () => {
    await expect(hsVerifier().verify(await sign(claims({ nbf: NOW_SEC + 5 })))).resolves.toBeDefined();
    expect(await codeOf(hsVerifier(), await sign(claims({ nbf: NOW_SEC + 6 })))).toBe('AUTH_NOT_YET_VALID');
  });

  it('refuses exp exactly at now - tolerance and accepts exp one second later', async () => {
    const verifier = hsVerifier();
    const tolerance = verifier.clockToleranceSec;
    expect(await codeOf(verifier, await sign(claims({ exp: NOW_SEC - tolerance })))).toBe('AUTH_EXPIRED');
    await expect(verifier.verify(await sign(claims({ exp: NOW_SEC - tolerance + 1 })))).resolves.toBeDefined();
  });

  it('applies a custom tolerance at the boundary, including zero', async () => {
    const lenient = hsVerifier({ clockToleranceSec: 120 });
    expect(await codeOf(lenient, await sign(claims({ exp: NOW_SEC - 120 })))).toBe('AUTH_EXPIRED');
    await expect(lenient.verify(await sign(claims({ exp: NOW_SEC - 119 })))).resolves.toBeDefined();
    const strict = hsVerifier({ clockToleranceSec: 0 });
    expect(await codeOf(strict, await sign(claims({ exp: NOW_SEC })))).toBe('AUTH_EXPIRED');
    await expect(strict.verify(await sign(claims({ exp: NOW_SEC + 1 })))).resolves.toBeDefined();
  });

  it('decides expiry with the injected clock, not the wall clock', async () => {
    const token = await sign(claims({ exp: NOW_SEC + 10 }));
    await expect(hsVerifier({ now: () => NOW_MS }).verify(token)).resolves.toBeDefined();
    expect(await codeOf(hsVerifier({ now: () => NOW_MS + 16_000 }), token)).toBe('AUTH_EXPIRED');
  });

  it('refuses a numeric-string exp', async () => {
    expect(await codeOf(hsVerifier(), await sign(claims({ exp: String(NOW_SEC + 3600) as unknown as number })))).toBe(
      'AUTH_INVALID',
    );
  });

  it('refuses a non-numeric nbf as invalid rather than not-yet-valid', async () => {
    expect(await codeOf(hsVerifier(), await sign(claims({ nbf: 'soon' as unknown as number })))).toBe('AUTH_INVALID');
  });

  describe('maxTokenAgeSec', () => {
    const verifier = (): Verifier => hsVerifier({ maxTokenAgeSec: 600 });

    it('refuses a token without iat', async () => {
      const { iat: _iat, ...noIat } = claims();
      expect(await codeOf(verifier(), await sign(noIat))).toBe('AUTH_INVALID');
    });

    it('answers AUTH_EXPIRED for a token issued too long ago', async () => {
      expect(await codeOf(verifier(), await sign(claims({ iat: NOW_SEC - 700 })))).toBe('AUTH_EXPIRED');
    });

    it('accepts a recent token', async () => {
      await expect(verifier().verify(await sign(claims({ iat: NOW_SEC - 300 })))).resolves.toBeDefined();
    });

    it('does not require iat when unset', async () => {
      const { iat: _iat, ...noIat } = claims();
      await expect(hsVerifier().verify(await sign(noIat))).resolves.toBeDefined();
    });
  });
});

describe('claim checks', () => {
  it('refuses a token without sub or without exp', async () => {
    const { sub: _sub, ...noSub } = claims();
    const { exp: _exp, ...noExp } = claims();
    expect(await codeOf(hsVerifier(), await sign(noSub))).toBe('AUTH_INVALID');
    expect(await codeOf(hsVerifier(), await sign(noExp))).toBe('AUTH_INVALID');
  });

  it('always requires exp, even when requiredClaims omits it', async () => {
    const { exp: _exp, ...noExp } = claims();
    expect(await codeOf(hsVerifier({ requiredClaims: [] }), await sign(noExp))).toBe('AUTH_INVALID');
    const { sub: _sub, ...noSub } = claims();
    await expect(hsVerifier({ requiredClaims: [] }).verify(await sign(noSub))).resolves.toBeDefined();
  });

  it('enforces extra required claims', async () => {
    const verifier = hsVerifier({ requiredClaims: ['sub', 'sid'] });
    expect(await codeOf(verifier, await sign(claims()))).toBe('AUTH_INVALID');
    await expect(verifier.verify(await sign(claims({ sid: 's1' })))).resolves.toBeDefined();
  });

  it('checks iss against one or several issuers', async () => {
    const one = hsVerifier({ issuer: 'https://auth.example.test' });
    await expect(one.verify(await sign(claims({ iss: 'https://auth.example.test' })))).resolves.toBeDefined();
    expect(await codeOf(one, await sign(claims({ iss: 'https://evil.example.test' })))).toBe('AUTH_INVALID');
    expect(await codeOf(one, await sign(claims()))).toBe('AUTH_INVALID');
    const several = hsVerifier({ issuer: ['https://a.test', 'https://b.test'] });
    await expect(several.verify(await sign(claims({ iss: 'https://b.test' })))).resolves.toBeDefined();
  });

  it('checks aud against one or several audiences', async () => {
    const verifier = hsVerifier({ audience: 'chat' });
    await expect(verifier.verify(await sign(claims({ aud: 'chat' })))).resolves.toBeDefined();
    await expect(verifier.verify(await sign(claims({ aud: ['billing', 'chat'] })))).resolves.toBeDefined();
    expect(await codeOf(verifier, await sign(claims({ aud: 'billing' })))).toBe('AUTH_INVALID');
    expect(await codeOf(verifier, await sign(claims()))).toBe('AUTH_INVALID');
    const several = hsVerifier({ audience: ['chat', 'admin'] });
    await expect(several.verify(await sign(claims({ aud: 'admin' })))).resolves.toBeDefined();
  });

  it('checks the typ header', async () => {
    const verifier = hsVerifier({ typ: 'at+jwt' });
    await expect(verifier.verify(await sign(claims(), { header: { typ: 'at+jwt' } }))).resolves.toBeDefined();
    expect(await codeOf(verifier, await sign(claims(), { header: { typ: 'JWT' } }))).toBe('AUTH_INVALID');
    expect(await codeOf(verifier, await sign(claims()))).toBe('AUTH_INVALID');
  });
});

describe('verify with asymmetric keys', () => {
  it('accepts RS256 with a PEM public key and refuses a token of another key pair', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const other = await generateKeyPair('RS256');
    const verifier = createVerifier({ algorithms: ['RS256'], publicKey: await exportSPKI(publicKey), now: () => NOW_MS });
    await expect(verifier.verify(await sign(claims(), { header: { alg: 'RS256' }, key: privateKey }))).resolves.toBeDefined();
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'RS256' }, key: other.privateKey }))).toBe(
      'AUTH_INVALID',
    );
  });

  it('accepts a public KeyObject and a public CryptoKey', async () => {
    const { publicKey, privateKey } = await generateKeyPair('PS256');
    const token = await sign(claims(), { header: { alg: 'PS256' }, key: privateKey });
    const keyObject: KeyObject = createPublicKey(await exportSPKI(publicKey));
    await expect(createVerifier({ algorithms: ['PS256'], publicKey: keyObject, now: () => NOW_MS }).verify(token)).resolves.toBeDefined();
    await expect(createVerifier({ algorithms: ['PS256'], publicKey, now: () => NOW_MS }).verify(token)).resolves.toBeDefined();
  });

  it('accepts a private KeyObject by using its public half', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const token = await sign(claims(), { header: { alg: 'ES256' }, key: privateKey });
    await expect(createVerifier({ algorithms: ['ES256'], publicKey: privateKey, now: () => NOW_MS }).verify(token)).resolves.toBeDefined();
  });

  it('accepts ES256', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const verifier = createVerifier({ algorithms: ['ES256'], publicKey, now: () => NOW_MS });
    await expect(verifier.verify(await sign(claims(), { header: { alg: 'ES256' }, key: privateKey }))).resolves.toBeDefined();
  });

  it('accepts EdDSA (Ed25519)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const verifier = createVerifier({ algorithms: ['EdDSA'], publicKey: await exportSPKI(publicKey), now: () => NOW_MS });
    await expect(verifier.verify(await sign(claims(), { header: { alg: 'EdDSA' }, key: privateKey }))).resolves.toBeDefined();
  });

  it('refuses an ES256 token at an RS256 verifier', async () => {
    const rsa = await generateKeyPair('RS256');
    const ec = await generateKeyPair('ES256');
    const verifier = createVerifier({ algorithms: ['RS256'], publicKey: rsa.publicKey, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'ES256' }, key: ec.privateKey }))).toBe('AUTH_INVALID');
  });

  it('refuses HS256 signed with the RSA public key PEM as the HMAC secret (key confusion)', async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const forged = await sign(claims({ sub: 'admin' }), { header: { alg: 'HS256' }, key: encoder.encode(pem) });
    for (const key of [pem, createPublicKey(pem), publicKey]) {
      const verifier = createVerifier({ algorithms: ['RS256'], publicKey: key, now: () => NOW_MS });
      expect(await codeOf(verifier, forged)).toBe('AUTH_INVALID');
    }
  });

  it('refuses an RS256 token at an HS256 verifier whose secret happens to be the public key PEM', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const verifier = createVerifier({ algorithms: ['HS256'], secret: pem, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'RS256' }, key: privateKey }))).toBe('AUTH_INVALID');
  });
});

describe('verify with a local JWKS', () => {
  async function keyWithKid(kid: string): Promise<{ jwk: JWK; privateKey: CryptoKey }> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    return { jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }, privateKey };
  }

  it('accepts a token whose kid names a key in the set', async () => {
    const a = await keyWithKid('a');
    const b = await keyWithKid('b');
    const verifier = createVerifier({ algorithms: ['ES256'], jwks: { keys: [a.jwk, b.jwk] }, now: () => NOW_MS });
    const token = await sign(claims(), { header: { alg: 'ES256', kid: 'b' }, key: b.privateKey });
    const { header } = await verifier.verify(token);
    expect(header.kid).toBe('b');
  });

  it('refuses a token whose kid names no key in the set', async () => {
    const a = await keyWithKid('a');
    const verifier = createVerifier({ algorithms: ['ES256'], jwks: { keys: [a.jwk] }, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'ES256', kid: 'zzz' }, key: a.privateKey }))).toBe(
      'AUTH_INVALID',
    );
  });

  it('refuses a token whose kid names a key that did not sign it', async () => {
    const a = await keyWithKid('a');
    const b = await keyWithKid('b');
    const verifier = createVerifier({ algorithms: ['ES256'], jwks: { keys: [a.jwk, b.jwk] }, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'ES256', kid: 'a' }, key: b.privateKey }))).toBe(
      'AUTH_INVALID',
    );
  });

  it('refuses a token without kid signed by a key outside the set', async () => {
    const a = await keyWithKid('a');
    const stranger = await keyWithKid('stranger');
    const verifier = createVerifier({ algorithms: ['ES256'], jwks: { keys: [a.jwk] }, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'ES256' }, key: stranger.privateKey }))).toBe(
      'AUTH_INVALID',
    );
  });

  it('refuses a token without kid when several keys of the set could match it', async () => {
    const a = await keyWithKid('a');
    const b = await keyWithKid('b');
    const verifier = createVerifier({ algorithms: ['ES256'], jwks: { keys: [a.jwk, b.jwk] }, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'ES256' }, key: a.privateKey }))).toBe('AUTH_INVALID');
  });

  it('refuses an HS256 token against a JWKS (no secret keys are taken from a key set)', async () => {
    const a = await keyWithKid('a');
    const verifier = createVerifier({ algorithms: ['ES256'], jwks: { keys: [a.jwk] }, now: () => NOW_MS });
    expect(await codeOf(verifier, await sign(claims(), { header: { alg: 'HS256', kid: 'a' } }))).toBe('AUTH_INVALID');
  });
});

describe('verify with a custom verify function', () => {
  function customVerifier(verify: VerifierOptions['verify'], extra: Partial<VerifierOptions> = {}): Verifier {
    return createVerifier({ algorithms: ['HS256'], verify, now: () => NOW_MS, ...extra });
  }

  it('uses the claims it returns, with an empty header', async () => {
    const verify = jest.fn(async (_token: string) => claims({ sub: 'bob', scope: 'a b' }));
    const result = await customVerifier(verify).verify('opaque-token');
    expect(verify).toHaveBeenCalledWith('opaque-token');
    expect(result.payload).toMatchObject({ sub: 'bob', scope: 'a b' });
    expect(result.header).toEqual({});
  });

  it('accepts a synchronous verify function', async () => {
    await expect(customVerifier(() => claims()).verify('t')).resolves.toBeDefined();
  });

  it('still refuses an expired payload returned by a lax verifier', async () => {
    const lax = customVerifier(() => claims({ exp: NOW_SEC - 60 }));
    expect(await codeOf(lax, 't')).toBe('AUTH_EXPIRED');
  });

  it('applies the clock tolerance to payloads of a custom verifier at the same boundary', async () => {
    expect(await codeOf(customVerifier(() => claims({ exp: NOW_SEC - 5 })), 't')).toBe('AUTH_EXPIRED');
    await expect(customVerifier(() => claims({ exp: NOW_SEC - 4 })).verify('t')).resolves.toBeDefined();
  });

  it.each([
    ['without exp', () => ({ sub: 'alice' })],
    ['without sub', () => ({ exp: NOW_SEC + 60 })],
    ['with a string exp', () => ({ sub: 'alice', exp: String(NOW_SEC + 60) })],
    ['with an infinite exp', () => ({ sub: 'alice', exp: Number.POSITIVE_INFINITY })],
    ['that is null', () => null],
    ['that is an array', () => [claims()]],
    ['that is a string', () => 'alice'],
  ])('refuses a returned payload %s', async (_, verify) => {
    expect(await codeOf(customVerifier(verify as VerifierOptions['verify']), 't')).toBe('AUTH_INVALID');
  });

  function named(name: string, message = 'failure'): Error {
    const error = new Error(message);
    error.name = name;
    return error;
  }

  it.each<[string, unknown, AuthErrorCode]>([
    ['TokenExpiredError', named('TokenExpiredError', 'jwt expired'), 'AUTH_EXPIRED'],
    ['NotBeforeError', named('NotBeforeError', 'jwt not active'), 'AUTH_NOT_YET_VALID'],
    ['JsonWebTokenError', named('JsonWebTokenError', 'invalid signature'), 'AUTH_INVALID'],
    ['an ECONNREFUSED error', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'AUTH_UNAVAILABLE'],
    ['an ETIMEDOUT error', Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' }), 'AUTH_UNAVAILABLE'],
    ['an unknown error', new Error('something'), 'AUTH_INVALID'],
    ['a thrown string', 'nope', 'AUTH_INVALID'],
    ['a thrown null', null, 'AUTH_INVALID'],
  ])('maps %s to its code', async (_, thrown, code) => {
    const verifier = customVerifier(() => {
      throw thrown;
    });
    expect(await codeOf(verifier, 't')).toBe(code);
  });

  it('passes an AuthError thrown by the verify function through unchanged', async () => {
    const revoked = new AuthRevokedError();
    const error = await failure(customVerifier(async () => Promise.reject(revoked)), 't');
    expect(error).toBe(revoked);
  });
});

describe('mapVerificationError', () => {
  it.each<[string, unknown, AuthErrorCode]>([
    ['JWTExpired', new joseErrors.JWTExpired('expired', {}, 'exp', 'check_failed'), 'AUTH_EXPIRED'],
    ['nbf check_failed', new joseErrors.JWTClaimValidationFailed('nbf', {}, 'nbf', 'check_failed'), 'AUTH_NOT_YET_VALID'],
    ['nbf invalid', new joseErrors.JWTClaimValidationFailed('nbf', {}, 'nbf', 'invalid'), 'AUTH_INVALID'],
    ['aud check_failed', new joseErrors.JWTClaimValidationFailed('aud', {}, 'aud', 'check_failed'), 'AUTH_INVALID'],
    ['JWKSTimeout', new joseErrors.JWKSTimeout(), 'AUTH_UNAVAILABLE'],
    ['JWKSInvalid', new joseErrors.JWKSInvalid(), 'AUTH_UNAVAILABLE'],
    ['JOSEAlgNotAllowed', new joseErrors.JOSEAlgNotAllowed(), 'AUTH_INVALID'],
    ['JWSSignatureVerificationFailed', new joseErrors.JWSSignatureVerificationFailed(), 'AUTH_INVALID'],
    ['JWKSNoMatchingKey', new joseErrors.JWKSNoMatchingKey(), 'AUTH_INVALID'],
    ['JWSInvalid', new joseErrors.JWSInvalid('x'), 'AUTH_INVALID'],
    ['undefined', undefined, 'AUTH_INVALID'],
  ])('maps %s', (_, error, code) => {
    expect(mapVerificationError(error).code).toBe(code);
  });

  it('keeps only name, code and claim of the underlying error, never its payload', () => {
    const payload = { sub: 'alice', secret: 'claims-must-not-leak' };
    const mapped = mapVerificationError(new joseErrors.JWTClaimValidationFailed('bad aud', payload, 'aud', 'check_failed'));
    expect(mapped.cause).toEqual({ name: 'JWTClaimValidationFailed', code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'aud' });
    expect(JSON.stringify(mapped.cause)).not.toContain('claims-must-not-leak');
  });
});

describe('error hygiene', () => {
  function assertClean(error: AuthError, secrets: string[]): void {
    const surfaces = [
      error.message,
      JSON.stringify(error),
      JSON.stringify(error.cause ?? {}),
      String(error),
      error.stack ?? '',
      JSON.stringify(Object.getOwnPropertyNames(error).map((k) => [k, (error as unknown as Record<string, unknown>)[k]])),
    ];
    for (const surface of surfaces) {
      for (const secret of secrets) {
        expect(surface).not.toContain(secret);
        // No recognisable fragment either (e.g. the signature part of a JWT).
        for (const part of secret.split('.')) if (part.length >= 8) expect(surface).not.toContain(part);
      }
    }
  }

  it('never puts the token or the secret in messages, JSON, stacks or causes', async () => {
    const verifier = hsVerifier({ issuer: 'iss', audience: 'aud', typ: 'at+jwt', maxTokenAgeSec: 60 });
    const header = { header: { typ: 'at+jwt' } };
    const tokens = [
      await sign(claims({ iss: 'iss', aud: 'aud', exp: NOW_SEC - 100 }), header),
      await sign(claims({ iss: 'iss', aud: 'aud', nbf: NOW_SEC + 100 }), header),
      await sign(claims({ iss: 'evil', aud: 'aud' }), header),
      await sign(claims({ iss: 'iss', aud: 'other' }), header),
      await sign(claims({ iss: 'iss', aud: 'aud' })),
      await sign(claims({ iss: 'iss', aud: 'aud', iat: NOW_SEC - 1000 }), header),
      await sign(claims({ iss: 'iss', aud: 'aud' }), { ...header, key: encoder.encode('wrong-secret-wrong-secret-wrong-secret') }),
      unsigned({ alg: 'none' }),
      'x'.repeat(9000),
      'garbage-token-value-1234567890',
    ];
    for (const token of tokens) {
      const error = await failure(verifier, token);
      assertClean(error, [token, SECRET]);
    }
  });

  it('does not echo the token from a custom verifier error message', async () => {
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXRoYXQtbXVzdC1ub3QtbGVhaw';
    const echoing = createVerifier({
      algorithms: ['HS256'],
      verify: (t) => {
        const error = new Error(`invalid token ${t}`);
        error.name = 'JsonWebTokenError';
        throw Object.assign(error, { token: t });
      },
    });
    const error = await failure(echoing, token);
    expect(error.code).toBe('AUTH_INVALID');
    assertClean(error, [token]);
  });

  it('keeps a sanitised, non-enumerable cause', async () => {
    const error = await failure(hsVerifier(), await sign(claims({ exp: NOW_SEC - 100 })));
    expect(error.cause).toEqual({ name: 'JWTExpired', code: 'ERR_JWT_EXPIRED', claim: 'exp' });
    expect(Object.getOwnPropertyDescriptor(error, 'cause')?.enumerable).toBe(false);
    expect(Object.keys(error)).not.toContain('cause');
    expect(JSON.parse(JSON.stringify(error))).toEqual({ code: 'AUTH_EXPIRED', action: 'refresh', message: error.message });
  });
});
