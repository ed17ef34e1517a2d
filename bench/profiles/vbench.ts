import { SignJWT, jwtVerify } from 'jose';
import { createSecretKey } from 'node:crypto';
import { createVerifier, ConnectionAuth, MemoryRevocationStore } from '@sockauth/core';
const secret = 'sockauth-benchmark-hs256-secret-0123456789abcdef';
const raw = new TextEncoder().encode(secret);
const now = Math.floor(Date.now()/1000);
const tokens = await Promise.all(Array.from({length: 20000}, (_, i) => new SignJWT({ scope: 'chat:read chat:write' }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject('user-'+i).setJti(crypto.randomUUID()).setIssuer('i').setAudience('a').setIssuedAt(now).setExpirationTime(now+3600).sign(raw)));
const ck = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const ko = createSecretKey(raw);
const v = createVerifier({ algorithms: ['HS256'], secret, issuer: 'i', audience: 'a' });
const opts = { verifier: v, revocationStore: new MemoryRevocationStore() };
async function run(name: string, f: (t: string) => Promise<unknown>) {
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await Promise.all(tokens.slice(0, 10000).map(async (t, i) => { for (let k=0;k<1;k++) await f(tokens[(i + r*3000) % 20000]!); }));
    if (r === 2) console.log(name, Math.round(10000 / (performance.now() - t0) * 1000), '/s');
  }
}
await run('jose CryptoKey', (t) => jwtVerify(t, ck, { algorithms: ['HS256'], issuer: 'i', audience: 'a' }));
await run('jose KeyObject', (t) => jwtVerify(t, ko, { algorithms: ['HS256'], issuer: 'i', audience: 'a' }));
await run('jose Uint8Array', (t) => jwtVerify(t, raw, { algorithms: ['HS256'], issuer: 'i', audience: 'a' }));
await run('sockauth verifier', (t) => v.verify(t));
await run('ConnectionAuth.authenticate', (t) => ConnectionAuth.authenticate(t, opts));
