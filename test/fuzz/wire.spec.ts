/**
 * Property-based handshakes over the wire, against both adapters (one server each for the whole file): mutated
 * genuine tokens, strings of every shape and forged tokens, each presented through the auth payload or the
 * Authorization header. The server never crashes (no uncaught exception or unhandled rejection reaches the
 * process), refuses with a code of the taxonomy, only ever accepts a genuine token, runs no handler for a
 * refused socket, and emits nothing containing a token.
 */
import fc from 'fast-check';
import { base64url } from 'jose';
import { isAuthErrorCode } from '@sockauth/core';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { closeAll } from '@sockauth/testing';
import { client, connect, connectOutcome } from '../support/clients';
import { installCrashGuard, type CrashGuard } from '../support/crash-guard';
import { EmissionLog, findLeaks } from '../support/emissions';
import { SEC_AUDIENCE, SEC_ISSUER, claimsFor, hsVerifier, keyMaterial, nowSec, signHs, suiteKeys, type SuiteKeys } from '../support/hostile-tokens';
import {
  claimsArbitrary,
  forge,
  forgedSignatureArbitrary,
  garbageTokenArbitrary,
  headerArbitrary,
  mutatedToken,
} from '../support/token-arbitraries';

const SEED = process.env['FUZZ_SEED'] === undefined ? 0x3117e : Number(process.env['FUZZ_SEED']);

describe.each(ADAPTERS)('%s: fuzzed handshakes', (_name, start) => {
  let keys: SuiteKeys;
  let server: AdapterServer;
  let guard: CrashGuard;
  const log = new EmissionLog();
  const secrets: string[] = [];

  beforeAll(async () => {
    guard = installCrashGuard();
    keys = await suiteKeys();
    secrets.push(...keyMaterial(keys));
    server = await start({ auth: { verifier: hsVerifier(keys), hooks: log.hooks(), logger: log.logger() } });
  });

  afterAll(async () => {
    await closeAll();
    guard.uninstall();
    expect(guard.crashes).toEqual([]);
    expect(findLeaks(log, secrets)).toEqual([]);
  });

  test('hostile tokens through the auth payload or the header: refused with a taxonomy code, or genuine', async () => {
    const genuine = await signHs(keys, claimsFor('alice', { scope: 'chat:read' }, nowSec()), {});
    const donor = await signHs(keys, claimsFor('admin', { scope: 'chat:admin' }));
    secrets.push(genuine, donor);
    const genuineContent = new Set([genuine, donor].map((t) => t.split('.').slice(0, 2).join('.')));
    const tokens = fc.oneof(
      mutatedToken(genuine, donor).map(({ token }) => token),
      garbageTokenArbitrary,
      fc
        .tuple(headerArbitrary, claimsArbitrary(SEC_ISSUER, SEC_AUDIENCE, nowSec), forgedSignatureArbitrary, fc.uint8Array({ maxLength: 64 }))
        .map(([header, claims, signature, bytes]) => forge(header, claims, signature, keys.attackerSecret, genuine, bytes)),
    );
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(tokens, fc.boolean(), async (token, viaHeader) => {
        secrets.push(token);
        // Only visible ASCII can travel in an HTTP header (the client library would refuse anything else itself).
        const header = viaHeader && /^[\x21-\x7e]+$/.test(token);
        const socket = client(server.url, header ? { extraHeaders: { authorization: `Bearer ${token}` } } : { auth: { token } });
        log.watch(socket);
        const outcome = await connectOutcome(socket);
        socket.close();
        if (outcome.connected) {
          // Only genuine signed content (with the same signature bytes) may connect.
          const [h, p, s] = token.split('.');
          const original = [genuine, donor].find((t) => t.startsWith(`${h}.${p}.`));
          return (
            genuineContent.has(`${h}.${p}`) &&
            original !== undefined &&
            Buffer.from(base64url.decode(s!)).equals(Buffer.from(base64url.decode(original.split('.')[2]!)))
          );
        }
        refusedCount++;
        return isAuthErrorCode(outcome.error.data?.code);
      }),
      { numRuns: 150, seed: SEED, endOnFailure: true },
    );
    expect(refusedCount).toBeGreaterThan(100);
    // No handler ran for any refused socket; the server still serves.
    expect(server.runs).toEqual([]);
    const alice = await connect(server.url, { auth: { token: genuine } });
    await expect(alice.emitWithAck('whoami')).resolves.toMatchObject({ ok: true, subject: 'alice' });
  }, 20_000);
});
