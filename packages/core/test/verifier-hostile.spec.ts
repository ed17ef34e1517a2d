/**
 * What the hostile-input suite found in the verifier: duplicate member names (a parser differential) and
 * NumericDate claims that JSON turns into Infinity or that no Date can hold.
 */
import { createHmac } from 'node:crypto';
import { CompactSign, base64url } from 'jose';
import { createAuthContext, createVerifier, describeContext, isAuthError } from '../src/index.js';
import { NOW_MS, NOW_SEC, SECRET, SECRET_BYTES, rejectionOf } from './support.js';

const verifier = createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_MS });

/** A genuine HS256 token whose payload is exactly `payloadJson`. */
function signRawPayload(payloadJson: string): Promise<string> {
  return new CompactSign(new TextEncoder().encode(payloadJson)).setProtectedHeader({ alg: 'HS256' }).sign(SECRET_BYTES);
}

/** A genuine HS256 token from raw header and payload texts. */
function signRaw(headerJson: string, payloadJson: string): string {
  const input = `${base64url.encode(headerJson)}.${base64url.encode(payloadJson)}`;
  return `${input}.${base64url.encode(createHmac('sha256', SECRET_BYTES).update(input).digest())}`;
}

async function refusal(token: unknown): Promise<{ code: string; cause?: { name: string; claim?: string } }> {
  const error = await rejectionOf(verifier.verify(token));
  if (!isAuthError(error)) throw new Error(`expected an AuthError, got ${String(error)}`);
  return { code: error.code, ...(error.cause && { cause: error.cause }) };
}

describe('duplicate member names', () => {
  it('refuses a genuine token with a duplicated claim (JSON.parse would keep the last one)', async () => {
    const token = await signRawPayload(`{"sub":"alice","exp":${NOW_SEC + 60},"sub":"admin"}`);
    await expect(refusal(token)).resolves.toEqual({ code: 'AUTH_INVALID', cause: { name: 'DuplicateMembers' } });
  });

  it('refuses a duplicate spelled with an escape, and a duplicated header member', async () => {
    expect((await refusal(await signRawPayload(`{"sub":"a","exp":${NOW_SEC + 60},"\\u0073ub":"b"}`))).code).toBe('AUTH_INVALID');
    expect((await refusal(signRaw('{"alg":"none","alg":"HS256"}', `{"sub":"a","exp":${NOW_SEC + 60}}`))).code).toBe('AUTH_INVALID');
  });

  it('still accepts nested objects that reuse a name at another level', async () => {
    const token = await signRawPayload(`{"sub":"a","exp":${NOW_SEC + 60},"ctx":{"sub":"x","exp":1}}`);
    await expect(verifier.verify(token)).resolves.toMatchObject({ payload: { sub: 'a' } });
  });

  it('applies to tokens accepted by a custom verify function too, and lets opaque tokens through', async () => {
    const custom = createVerifier({ algorithms: ['HS256'], verify: () => ({ sub: 'a', exp: NOW_SEC + 60 }), now: () => NOW_MS });
    const duplicated = await signRawPayload(`{"sub":"a","sub":"b","exp":${NOW_SEC + 60}}`);
    expect(isAuthError(await rejectionOf(custom.verify(duplicated)))).toBe(true);
    await expect(custom.verify('an-opaque-token')).resolves.toBeDefined();
  });
});

describe('NumericDate claims', () => {
  it.each([
    ['exp', `"exp":1e400`],
    ['exp', `"exp":1e300`],
    ['exp', `"exp":-1e300`],
    ['iat', `"exp":${NOW_SEC + 60},"iat":1e400`],
    ['iat', `"exp":${NOW_SEC + 60},"iat":-1e400`],
    ['nbf', `"exp":${NOW_SEC + 60},"nbf":-1e400`],
  ])('refuses a %s that is not a representable time (%s)', async (claim, members) => {
    const result = await refusal(await signRawPayload(`{"sub":"a",${members}}`));
    expect(result.code).toBe(claim === 'exp' && members.startsWith('"exp":-') ? 'AUTH_EXPIRED' : 'AUTH_INVALID');
  });

  it('accepts the largest exp a Date can hold, and its context can still be described', async () => {
    const token = await signRawPayload(`{"sub":"a","exp":8640000000000}`);
    const { payload } = await verifier.verify(token);
    expect(describeContext(createAuthContext(payload)).expiresAt).toBe('+275760-09-13T00:00:00.000Z');
  });
});
