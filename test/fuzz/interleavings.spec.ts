/**
 * Model-based fuzzing of a live connection, over the wire, against both adapters: random sequences of events,
 * re-auths (newer, same age (accepted unless it grants more), stale, replayed, revoked, another subject or session,
 * unsigned, forged, garbage), revocations (subject, session, the token in force, an unrelated token), clock
 * advances and expiry, run against a real server and checked step by step against a small model of what the
 * design says must happen.
 * Invariants: every ack is the one the model predicts; no handler ever runs without a context in force (same
 * subject, before its deadline, never after the socket was cut); nothing crashes; nothing emitted contains a token.
 */
import fc from 'fast-check';
import { MemoryRevocationStore } from '@sockauth/core';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { closeAll } from '@sockauth/testing';
import { client, connectOutcome, nextEvent, type ClientSocket } from '../support/clients';
import { installCrashGuard, type CrashGuard } from '../support/crash-guard';
import { EmissionLog, findLeaks } from '../support/emissions';
import { claimsFor, hsVerifier, keyMaterial, signHs, suiteKeys, unsigned, type SuiteKeys } from '../support/hostile-tokens';

const SEED = process.env['FUZZ_SEED'] === undefined ? 0x1a7e5 : Number(process.env['FUZZ_SEED']);
const SKEW_SEC = 5;
const LIFETIME_SEC = 300;

type Scope = 'chat:read' | 'chat:write' | 'chat:write chat:admin';
type RefreshKind =
  | 'newer'
  | 'same-age'
  | 'stale'
  | 'replay'
  | 'revoked'
  | 'other-subject'
  | 'other-session'
  | 'unsigned'
  | 'forged'
  | 'garbage';
type Action =
  | { readonly type: 'emit'; readonly event: 'whoami' | 'chat:send' | 'admin:kick' }
  | { readonly type: 'refresh'; readonly kind: RefreshKind; readonly scope: Scope }
  | { readonly type: 'revoke'; readonly target: 'subject' | 'session' | 'current-token' | 'unrelated-token' }
  | { readonly type: 'advance'; readonly seconds: number }
  | { readonly type: 'expire' };

const scopeArbitrary = fc.constantFrom<Scope>('chat:read', 'chat:write', 'chat:write chat:admin');
const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('emit' as const), event: fc.constantFrom('whoami' as const, 'chat:send' as const, 'admin:kick' as const) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      type: fc.constant('refresh' as const),
      kind: fc.constantFrom<RefreshKind>('newer', 'same-age', 'stale', 'replay', 'revoked', 'other-subject', 'other-session', 'unsigned', 'forged', 'garbage'),
      scope: scopeArbitrary,
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('revoke' as const), target: fc.constantFrom('subject' as const, 'session' as const, 'current-token' as const, 'unrelated-token' as const) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('advance' as const), seconds: fc.integer({ min: 1, max: 120 }) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('expire' as const) }) },
);

interface TokenInForce {
  readonly token: string;
  readonly jti: string;
  readonly iat: number;
  readonly exp: number;
  readonly scope: Scope;
}

describe.each(ADAPTERS)('%s: fuzzed interleavings of events, re-auths, revocations and expiry', (_name, start) => {
  let keys: SuiteKeys;
  let server: AdapterServer;
  let guard: CrashGuard;
  /** The server's clock (ms), shared by the verifier, the revocation store and the model; only moves forward. */
  let clock = Date.now();
  const log = new EmissionLog();
  const secrets: string[] = [];
  let runIndex = 0;

  beforeAll(async () => {
    guard = installCrashGuard();
    keys = await suiteKeys();
    secrets.push(...keyMaterial(keys));
    server = await start({
      auth: {
        verifier: hsVerifier(keys, { clockToleranceSec: SKEW_SEC, now: () => clock }),
        revocationStore: new MemoryRevocationStore({ now: () => clock }),
        maxReauthsPerMinute: 100_000,
        hooks: log.hooks(),
        logger: log.logger(),
      },
    });
  });

  afterAll(async () => {
    await closeAll();
    guard.uninstall();
    expect(guard.crashes).toEqual([]);
    expect(findLeaks(log, secrets)).toEqual([]);
  });

  const nowSec = (): number => Math.floor(clock / 1000);
  const mint = async (sub: string, sid: string, jti: string, iat: number, scope: Scope, secret?: string): Promise<string> => {
    const token = await signHs(keys, claimsFor(sub, { sid, jti, scope, iat, exp: nowSec() + LIFETIME_SEC }), secret === undefined ? {} : { secret });
    secrets.push(token);
    return token;
  };
  const ack = async (socket: ClientSocket, event: string, ...args: unknown[]): Promise<Record<string, unknown>> => {
    const reply = (await socket.timeout(3_000).emitWithAck(event, ...args)) as Record<string, unknown>;
    log.add('client:ack', reply);
    return reply;
  };
  const refused = (code: string) => ({ ok: false, error: expect.objectContaining({ code }) });
  const denied = (code: string) => ({ error: expect.objectContaining({ code }) });

  test('every step matches the model; no handler runs without a context in force', async () => {
    await fc.assert(
      fc.asyncProperty(scopeArbitrary, fc.array(actionArbitrary, { minLength: 4, maxLength: 20, size: 'max' }), async (scope, actions) => {
        const n = ++runIndex;
        const subject = `user-${n}`;
        const sid = `sid-${n}`;
        let jtis = 0;
        const nextJti = () => `${subject}-j${++jtis}`;
        const initial: TokenInForce = { jti: nextJti(), iat: nowSec() - 1, exp: 0, scope, token: '' };
        const first = await mint(subject, sid, initial.jti, initial.iat, initial.scope);
        let current: TokenInForce = { ...initial, token: first, exp: nowSec() + LIFETIME_SEC };
        const retired: TokenInForce[] = [];
        const revokedJtis = new Set<string>();
        let version = 1;
        let connected = true;
        const runsBefore = server.runs.length;

        const socket = client(server.url, { auth: { token: first } });
        log.watch(socket);
        expect(await connectOutcome(socket)).toEqual({ connected: true });
        const socketId = socket.id!;
        const expired = (): boolean => clock >= (current.exp + SKEW_SEC) * 1000;

        try {
          for (const action of actions) {
            if (!connected) break;
            switch (action.type) {
              case 'emit': {
                const reply = await ack(socket, action.event, { n });
                if (expired()) {
                  expect(reply).toEqual(denied('AUTH_EXPIRED'));
                  break;
                }
                const allowed =
                  action.event === 'whoami' ||
                  (action.event === 'chat:send' && current.scope.includes('chat:write')) ||
                  (action.event === 'admin:kick' && current.scope.includes('chat:admin'));
                if (allowed) expect(reply).toMatchObject({ ok: true, subject, version });
                else expect(reply).toEqual(denied('AUTH_FORBIDDEN'));
                break;
              }
              case 'refresh': {
                const sec = nowSec();
                let token: string;
                let expected: 'accept' | string;
                let next: TokenInForce | undefined;
                switch (action.kind) {
                  case 'newer':
                  case 'same-age': {
                    const iat = action.kind === 'newer' ? Math.max(sec, current.iat) : current.iat;
                    const jti = nextJti();
                    token = await mint(subject, sid, jti, iat, action.scope);
                    next = { token, jti, iat, exp: sec + LIFETIME_SEC, scope: action.scope };
                    // A token of the same iat may replace the one in force, but not grant a permission it lacks.
                    const grantsMore = action.scope.split(' ').some((permission) => !current.scope.split(' ').includes(permission));
                    expected = iat === current.iat && grantsMore ? 'AUTH_STALE' : 'accept';
                    break;
                  }
                  case 'stale':
                    token = await mint(subject, sid, nextJti(), current.iat - 10, action.scope);
                    expected = 'AUTH_STALE';
                    break;
                  case 'replay': {
                    const old = retired[retired.length - 1];
                    if (old === undefined) {
                      // Presenting the token in force again is an idempotent refresh.
                      token = current.token;
                      next = current;
                      expected = expired() ? 'AUTH_EXPIRED' : 'accept';
                    } else {
                      token = old.token;
                      expected = sec * 1000 >= (old.exp + SKEW_SEC) * 1000 ? 'AUTH_EXPIRED' : 'AUTH_STALE';
                    }
                    break;
                  }
                  case 'revoked': {
                    const jti = nextJti();
                    await server.sockAuth.revoke({ tokenId: jti });
                    revokedJtis.add(jti);
                    token = await mint(subject, sid, jti, Math.max(sec, current.iat), action.scope);
                    expected = 'AUTH_REVOKED';
                    break;
                  }
                  case 'other-subject':
                    token = await mint(`${subject}-evil`, sid, nextJti(), sec, 'chat:write chat:admin');
                    expected = 'AUTH_IDENTITY_MISMATCH';
                    break;
                  case 'other-session':
                    token = await mint(subject, `${sid}-evil`, nextJti(), sec, 'chat:write chat:admin');
                    expected = 'AUTH_IDENTITY_MISMATCH';
                    break;
                  case 'unsigned':
                    token = unsigned('none', claimsFor(subject, { sid, iat: sec, exp: sec + 60, scope: 'chat:write chat:admin' }));
                    secrets.push(token);
                    expected = 'AUTH_INVALID';
                    break;
                  case 'forged':
                    token = await mint(subject, sid, nextJti(), sec, 'chat:write chat:admin', keys.attackerSecret);
                    expected = 'AUTH_INVALID';
                    break;
                  case 'garbage':
                    token = `${current.token.slice(0, -4)}AAAA`;
                    secrets.push(token);
                    expected = 'AUTH_INVALID';
                    break;
                }
                const reply = await ack(socket, 'auth:refresh', { token });
                if (expected === 'accept') {
                  version++;
                  expect(reply).toEqual({ ok: true, version, expiresAt: next!.exp * 1000 });
                  if (next!.jti !== current.jti) retired.push(current);
                  current = next!;
                } else {
                  expect(reply).toEqual(refused(expected));
                }
                break;
              }
              case 'revoke': {
                if (action.target === 'unrelated-token') {
                  await expect(server.sockAuth.revoke({ tokenId: `${subject}-unrelated` })).resolves.toEqual({ disconnected: 0 });
                  break;
                }
                const cut = nextEvent(socket, 'auth:error');
                const gone = nextEvent(socket, 'disconnect');
                const target =
                  action.target === 'subject' ? { subject } : action.target === 'session' ? { sessionId: sid } : { tokenId: current.jti };
                await expect(server.sockAuth.revoke(target)).resolves.toEqual({ disconnected: 1 });
                await expect(cut).resolves.toMatchObject({ code: 'AUTH_REVOKED', action: 'login' });
                await expect(gone).resolves.toBe('io server disconnect');
                connected = false;
                break;
              }
              case 'advance':
                clock += action.seconds * 1000;
                break;
              case 'expire':
                clock = Math.max(clock, (current.exp + SKEW_SEC) * 1000);
                break;
            }
          }
        } finally {
          socket.close();
        }

        // Every handler run of this socket had a context in force: this subject, before its deadline.
        const runs = server.runs.slice(runsBefore).filter((run) => run.socketId === socketId);
        for (const run of runs) {
          expect(run.context).toBeDefined();
          expect(run.context!.subject).toBe(subject);
          expect(run.at).toBeLessThan(run.context!.expiresAt + SKEW_SEC * 1000);
          expect(revokedJtis.has(run.context!.tokenId ?? '')).toBe(false);
        }
        return true;
      }),
      { numRuns: 40, seed: SEED, endOnFailure: true },
    );
  }, 25_000);
});
