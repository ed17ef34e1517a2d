import type { JWTPayload } from 'jose';
import { createVerifier, type Verifier, type VerifierOptions } from '../src/index.js';
import { SharedClaimValues } from '../src/shared-claim-values.js';
import { NOW_MS, SECRET, claims, sign } from './support.js';

function hsVerifier(extra: Partial<VerifierOptions> = {}): Verifier {
  return createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_MS, ...extra });
}

describe('one instance of repeated claim values and headers', () => {
  it('two tokens with the same header share one frozen header object through the cache; the claims are untouched', async () => {
    const verifier = hsVerifier();
    const shared = { iss: 'https://idp.example', aud: ['chat', 'feed'], scope: 'chat:read chat:write' };
    const a = await verifier.verify(await sign(claims({ sub: 'alice', ...shared }), { header: { typ: 'JWT' } }));
    const b = await verifier.verify(await sign(claims({ sub: 'bob', ...shared }), { header: { typ: 'JWT' } }));
    expect(b.header).toBe(a.header);
    expect(Object.isFrozen(a.header)).toBe(true);
    expect(a.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(a.payload).toMatchObject({ sub: 'alice', ...shared });
    expect(b.payload).toMatchObject({ sub: 'bob', ...shared });
    // Another header is another instance.
    const c = await verifier.verify(await sign(claims({ sub: 'carol' }), { header: { typ: 'at+jwt' } }));
    expect(c.header).not.toBe(a.header);
    expect(c.header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
  });

  it('with the cache off, results stay fresh objects of their own (nothing shared, nothing frozen)', async () => {
    const verifier = hsVerifier({ cache: false });
    const a = await verifier.verify(await sign(claims({ sub: 'alice', iss: 'idp' }), { header: { typ: 'JWT' } }));
    const b = await verifier.verify(await sign(claims({ sub: 'bob', iss: 'idp' }), { header: { typ: 'JWT' } }));
    expect(b.header).not.toBe(a.header);
    expect(Object.isFrozen(a.header)).toBe(false);
    expect(Object.isFrozen(a.payload)).toBe(false);
    expect(a.payload.iss).toBe('idp');
  });

  it('values keep their content and type; only strings of the repeated claims are replaced, arrays in place', () => {
    const values = new SharedClaimValues();
    const long = 'x'.repeat(600);
    const first = { iss: 'idp', aud: ['chat', 7, 'feed'], scope: long, scp: ['a'], azp: 3, sub: 'alice' };
    const second = { iss: 'idp', aud: ['chat', 7, 'feed'], scope: long, scp: ['a'], azp: 3, sub: 'alice' };
    const audience = second.aud;
    // An `aud` array with a number in it is not a valid JWTPayload, but what jose parsed may be anything.
    values.shareValues(first as unknown as JWTPayload);
    values.shareValues(second as unknown as JWTPayload);
    expect(second).toEqual(first);
    expect(second.aud).toBe(audience);
  });

  it('is bounded: past 64 distinct headers, new ones are handed back as they are, unshared', () => {
    const values = new SharedClaimValues();
    for (let i = 0; i < 64; i++) values.sharedHeader({ alg: 'HS256', kid: `k${i}` });
    const known = values.sharedHeader({ alg: 'HS256', kid: 'k0' });
    expect(values.sharedHeader({ alg: 'HS256', kid: 'k0' })).toBe(known);
    const fresh = { alg: 'HS256', kid: 'k64' };
    expect(values.sharedHeader(fresh)).toBe(fresh);
    expect(values.sharedHeader({ alg: 'HS256', kid: 'k64' })).not.toBe(fresh);
  });
});
