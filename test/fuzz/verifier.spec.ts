/**
 * Property-based tests of the verifier (and claim mapping), in process: thousands of hostile tokens in a few
 * seconds. Properties: the verifier only ever rejects with an AuthError (never throws anything else, never
 * hangs); it never accepts a token whose signed content or signature differs from a genuine one; it never
 * accepts an unsigned or mis-signed token whatever its header says; and what it accepts satisfies every claim
 * rule.
 */
import fc from 'fast-check';
import { base64url } from 'jose';
import { authenticateToken, createVerifier, isAuthError, type Verifier } from '@sockauth/core';
import { installCrashGuard, type CrashGuard } from '../support/crash-guard';
import {
  SEC_AUDIENCE,
  SEC_ISSUER,
  claimsFor,
  hsVerifier,
  nowSec,
  signHs,
  signWith,
  suiteKeys,
  type SuiteKeys,
} from '../support/hostile-tokens';
import {
  claimsArbitrary,
  forge,
  forgedSignatureArbitrary,
  garbageTokenArbitrary,
  headerArbitrary,
  mutatedToken,
} from '../support/token-arbitraries';

/** Fixed seeds: reproducible in CI; `FUZZ_SEED` explores other ones locally. */
const SEED = process.env['FUZZ_SEED'] === undefined ? 0x5eca17 : Number(process.env['FUZZ_SEED']);
const RUNS = { numRuns: 400, seed: SEED, endOnFailure: true } as const;

let keys: SuiteKeys;
let hs: Verifier;
let es: Verifier;
let guard: CrashGuard;

beforeAll(async () => {
  guard = installCrashGuard();
  keys = await suiteKeys();
  hs = createVerifier(hsVerifier(keys));
  es = createVerifier({ algorithms: ['ES256', 'RS256'], jwks: keys.jwks, issuer: SEC_ISSUER, audience: SEC_AUDIENCE });
});

afterAll(() => {
  guard.uninstall();
  expect(guard.crashes).toEqual([]);
});

type Outcome = { accepted: true; payload: Record<string, unknown> } | { accepted: false; error: unknown };

async function outcome(verifier: Verifier, token: unknown): Promise<Outcome> {
  try {
    const { payload } = await verifier.verify(token);
    return { accepted: true, payload };
  } catch (error) {
    return { accepted: false, error };
  }
}

/** Accepted only if the signed content is byte-identical and the signature decodes to the same bytes. */
function sameSignedContent(candidate: string, genuine: string): boolean {
  const [h, p, s, ...rest] = candidate.split('.');
  const [H, P, S] = genuine.split('.');
  if (rest.length > 0 || h !== H || p !== P) return false;
  try {
    return Buffer.from(base64url.decode(s!)).equals(Buffer.from(base64url.decode(S!)));
  } catch {
    return false;
  }
}

test('mutations of a genuine HS256 token: refused with an AuthError unless the signed bytes are unchanged', async () => {
  const genuine = await signHs(keys, claimsFor('alice', { scope: 'chat:read' }));
  const donor = await signHs(keys, claimsFor('admin', { scope: 'chat:admin' }));
  await fc.assert(
    fc.asyncProperty(mutatedToken(genuine, donor), async ({ token }) => {
      const result = await outcome(hs, token);
      if (!result.accepted) return isAuthError(result.error);
      // Splicing every segment of the donor rebuilds the donor: the only other genuine token around.
      if (sameSignedContent(token, donor)) return result.payload['sub'] === 'admin';
      return sameSignedContent(token, genuine) && result.payload['sub'] === 'alice';
    }),
    RUNS,
  );
});

test('mutations of a genuine ES256 token (JWKS): refused with an AuthError unless the signed bytes are unchanged', async () => {
  const genuine = await signWith(keys.ec.privateKey, 'ES256', claimsFor('alice'), { kid: 'ec-1' });
  const donor = await signWith(keys.ec.privateKey, 'ES256', claimsFor('admin', { scope: 'chat:admin' }), { kid: 'ec-1' });
  await fc.assert(
    fc.asyncProperty(mutatedToken(genuine, donor), async ({ token }) => {
      const result = await outcome(es, token);
      if (!result.accepted) return isAuthError(result.error);
      return sameSignedContent(token, genuine) || sameSignedContent(token, donor);
    }),
    { ...RUNS, numRuns: 200 },
  );
});

test('any string, of any shape or size: refused with an AuthError, never anything else', async () => {
  await fc.assert(
    fc.asyncProperty(garbageTokenArbitrary, async (token) => {
      const [a, b] = await Promise.all([outcome(hs, token), outcome(es, token)]);
      return !a.accepted && isAuthError(a.error) && !b.accepted && isAuthError(b.error);
    }),
    RUNS,
  );
});

test('any JSON value where a token is expected: refused with an AuthError', async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
      const result = await outcome(hs, value);
      return !result.accepted && isAuthError(result.error);
    }),
    { ...RUNS, numRuns: 200 },
  );
});

test('forged tokens (any header, plausible claims; unsigned, random, attacker-keyed or borrowed signature): never accepted', async () => {
  const borrowed = await signHs(keys, claimsFor('alice'));
  await fc.assert(
    fc.asyncProperty(
      headerArbitrary,
      claimsArbitrary(SEC_ISSUER, SEC_AUDIENCE, nowSec),
      forgedSignatureArbitrary,
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
      async (header, claims, signature, bytes) => {
        const token = forge(header, claims, signature, keys.attackerSecret, borrowed, bytes);
        const [a, b] = await Promise.all([outcome(hs, token), outcome(es, token)]);
        return !a.accepted && isAuthError(a.error) && !b.accepted && isAuthError(b.error);
      },
    ),
    RUNS,
  );
});

test('genuinely signed tokens with hostile claims: whatever is accepted satisfies every claim rule', async () => {
  let accepted = 0;
  await fc.assert(
    fc.asyncProperty(claimsArbitrary(SEC_ISSUER, SEC_AUDIENCE, nowSec), async (claims) => {
      const token = await signHs(keys, claims as Record<string, never>);
      const now = nowSec();
      let context;
      try {
        context = await authenticateToken(token, { verifier: hs });
      } catch (error) {
        return isAuthError(error);
      }
      accepted++;
      const c = context.claims as Record<string, unknown>;
      const tolerance = hs.clockToleranceSec;
      const audiences = Array.isArray(c['aud']) ? c['aud'] : [c['aud']];
      return (
        typeof c['sub'] === 'string' &&
        c['sub'] !== '' &&
        context.subject === c['sub'] &&
        typeof c['exp'] === 'number' &&
        Number.isFinite(c['exp']) &&
        (c['exp'] as number) + tolerance > now - 1 &&
        c['iss'] === SEC_ISSUER &&
        audiences.includes(SEC_AUDIENCE) &&
        (c['nbf'] === undefined || (typeof c['nbf'] === 'number' && (c['nbf'] as number) <= now + tolerance + 1)) &&
        (c['iat'] === undefined || (typeof c['iat'] === 'number' && Number.isFinite(c['iat'])))
      );
    }),
    RUNS,
  );
  // Not vacuous: a good share of the generated tokens were valid, and checked.
  expect(accepted).toBeGreaterThan(20);
});

/** An outcome as one comparable line: the accepted claims, or the refusal's code and the claim it names. */
function summary(result: Outcome): string {
  if (result.accepted) return `accepted ${JSON.stringify(result.payload)}`;
  const error = result.error as { code?: unknown; cause?: { claim?: unknown } };
  return `refused ${String(error.code)} ${String(error.cause?.claim)}`;
}

test('the verified-token cache: a token verified once is judged exactly as in full, at any earlier or later time', async () => {
  const base = nowSec();
  let hits = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.record({
        iat: fc.integer({ min: -120, max: 60 }),
        nbf: fc.option(fc.integer({ min: -60, max: 60 }), { nil: undefined }),
        exp: fc.integer({ min: -30, max: 240 }),
        tolerance: fc.integer({ min: 0, max: 10 }),
        maxTokenAgeSec: fc.option(fc.integer({ min: 1, max: 120 }), { nil: undefined }),
        primeMs: fc.integer({ min: -60_000, max: 60_000 }),
        probesMs: fc.array(fc.double({ min: -150_000, max: 300_000, noNaN: true }), { minLength: 1, maxLength: 6 }),
      }),
      async (c) => {
        let clock = 0;
        const options = hsVerifier(keys, {
          clockToleranceSec: c.tolerance,
          ...(c.maxTokenAgeSec !== undefined && { maxTokenAgeSec: c.maxTokenAgeSec }),
          now: () => clock,
          cache: { maxAgeSec: 3600 },
        });
        const cached = createVerifier(options);
        const full = createVerifier({ ...options, cache: false });
        const nbf = c.nbf === undefined ? undefined : base + c.nbf;
        const token = await signHs(keys, claimsFor('alice', { iat: base + c.iat, exp: base + c.exp, nbf }));
        clock = base * 1000 + c.primeMs;
        const primed = await outcome(cached, token);
        for (const probe of c.probesMs) {
          clock = base * 1000 + probe;
          const probed = await outcome(cached, token);
          if (summary(probed) !== summary(await outcome(full, token))) return false;
          if (primed.accepted && probed.accepted && probed.payload === primed.payload) hits++;
        }
        return true;
      },
    ),
    { ...RUNS, numRuns: 300 },
  );
  // Not vacuous: many probes were answered from the cache (the very object verified at priming).
  expect(hits).toBeGreaterThan(50);
});
