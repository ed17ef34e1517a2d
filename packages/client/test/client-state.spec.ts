import { TRANSITIONS, StatusStore, canMove, type AuthClientState, type AuthClientStatus } from '../src/client-state.js';
import { ServerClock } from '../src/schedule.js';

const STATES = Object.keys(TRANSITIONS) as AuthClientState[];

/** A store at `state`, reached through allowed steps, with the statuses it published. */
function storeAt(state: AuthClientState, autoRefresh = true): { store: StatusStore; seen: AuthClientStatus[] } {
  const store = new StatusStore(new ServerClock(() => 1_000), autoRefresh);
  const path: Record<AuthClientState, AuthClientState[]> = {
    disconnected: [],
    connecting: ['connecting'],
    authenticated: ['connecting', 'authenticated'],
    refreshing: ['connecting', 'authenticated', 'refreshing'],
    expired: ['connecting', 'expired'],
    unauthenticated: ['connecting', 'unauthenticated'],
    forbidden: ['connecting', 'forbidden'],
    closed: ['closed'],
  };
  for (const step of path[state]) store.update({ state: step });
  expect(store.state).toBe(state);
  const seen: AuthClientStatus[] = [];
  store.subscribe((status) => seen.push(status));
  seen.length = 0;
  return { store, seen };
}

describe('the state transitions table', () => {
  it('allows every move the lifecycle makes', () => {
    const made: Array<[AuthClientState, AuthClientState, string]> = [
      ['disconnected', 'connecting', 'connect()'],
      ['disconnected', 'expired', 'refreshNow() while disconnected'],
      ['connecting', 'authenticated', 'handshake accepted'],
      ['connecting', 'expired', 'handshake refused with action refresh'],
      ['connecting', 'disconnected', 'gave up after maxAttempts'],
      ['authenticated', 'refreshing', 'pre-expiry refresh'],
      ['refreshing', 'authenticated', 'auth:refresh accepted, or a refusal that keeps the token in force'],
      ['refreshing', 'disconnected', 'refresh gave up after the connection dropped'],
      ['refreshing', 'expired', 'cut with AUTH_EXPIRED during a refresh'],
      ['authenticated', 'connecting', 'transport closed: reconnect'],
      ['expired', 'connecting', 'fresh token fetched: reconnect'],
      ['expired', 'unauthenticated', 'refresh() says login'],
      ['expired', 'forbidden', 'refresh() says none'],
      ['unauthenticated', 'connecting', 'connect() after a new login'],
      ['forbidden', 'connecting', 'connect() once the policy changed'],
      ['forbidden', 'closed', 'close()'],
    ];
    for (const [from, to, why] of made) expect([from, to, why, canMove(from, to)]).toEqual([from, to, why, true]);
  });

  it('lets only the app leave a stopped state, and nothing leave closed', () => {
    for (const stopped of ['unauthenticated', 'forbidden'] as const) {
      expect(STATES.filter((to) => to !== stopped && canMove(stopped, to))).toEqual(['connecting', 'closed']);
    }
    expect(STATES.filter((to) => to !== 'closed' && canMove('closed', to))).toEqual([]);
  });

  it('enters refreshing only from a live authenticated connection', () => {
    expect(STATES.filter((from) => from !== 'refreshing' && canMove(from, 'refreshing'))).toEqual(['authenticated']);
  });

  it('allows staying put everywhere and closing from everywhere', () => {
    for (const state of STATES) {
      expect(canMove(state, state)).toBe(true);
      expect(canMove(state, 'closed')).toBe(true);
    }
  });
});

describe('StatusStore', () => {
  it('drops a patch that would leave a stopped or closed state the table does not allow (late continuations)', () => {
    for (const [from, to] of [
      ['unauthenticated', 'authenticated'],
      ['forbidden', 'expired'],
      ['closed', 'connecting'],
      ['disconnected', 'refreshing'],
    ] as const) {
      const { store, seen } = storeAt(from);
      const before = store.current;
      store.update({ state: to, socketId: 'late' });
      expect([from, to, store.current]).toEqual([from, to, before]);
      expect(seen).toEqual([]);
    }
  });

  it('publishes a frozen snapshot only when something changed, with the clock fields of the moment', () => {
    const clock = new ServerClock(() => 1_000);
    const store = new StatusStore(clock, true);
    const seen: AuthClientStatus[] = [];
    store.subscribe((status) => seen.push(status));
    store.update({ state: 'connecting' });
    store.update({ state: 'connecting' });
    clock.observeServerTime(61_000, 1_000);
    store.update({});
    expect(seen.map((s) => [s.state, s.clockOffsetMs, s.clockSource])).toEqual([
      ['disconnected', 0, 'none'],
      ['connecting', 0, 'none'],
      ['connecting', 60_000, 'server'],
    ]);
    expect(Object.isFrozen(store.current)).toBe(true);
  });

  it('settled() resolves true once authenticated, false once resting (expired counts without autoRefresh)', async () => {
    const { store } = storeAt('connecting');
    const authenticated = store.settled();
    store.update({ state: 'authenticated' });
    await expect(authenticated).resolves.toBe(true);

    const manual = storeAt('connecting', false).store;
    const expired = manual.settled();
    manual.update({ state: 'expired' });
    await expect(expired).resolves.toBe(false);
    await expect(storeAt('forbidden').store.settled()).resolves.toBe(false);
  });

  it('refuses a subscriber that is not a function with a TypeError', () => {
    const { store } = storeAt('disconnected');
    expect(() => store.subscribe('nope' as never)).toThrow(TypeError);
  });
});
