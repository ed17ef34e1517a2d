import type { AuthClientBase, AuthClientStatus } from '@sockauth/client';
import type { ConformanceRequest } from './driver.js';
import { CUT_SLACK_MS, EARLY_TOLERANCE_MS } from './expiry-flows.js';
import { ConformanceFailure } from './failure.js';
import { TIMED_OUT, quiet, within, type FlowContext } from './flow-context.js';
import type { FlowDefinition } from './flow.js';
import { isSkip, type ObservedEffects, type ResolvedConformanceOptions } from './options.js';

/** The retry policy the client flows give `@sockauth/client`: small, so the flows stay short. */
const BACKOFF = { baseMs: 200, capMs: 800, maxAttempts: 3 } as const;
/**
 * Calls of `refresh()` the client may make while the endpoint is down: an in-band attempt plus its retries when
 * the refresh window opens, the same again when `auth:expiring` arrives, then the reconnection sequence after the
 * expiry cut. Bounded by the retry budget, whatever the token's lifetime: a loop would go past it.
 */
const MAX_REFRESH_CALLS = 3 * (BACKOFF.maxAttempts + 1);
/** What a refresh endpoint that is down throws: an error without a sockauth code, i.e. transient. */
const UNAVAILABLE = 'refresh endpoint unavailable (conformance suite)';

/** Lifetime of the client flows' tokens: long enough for `auth:expiring`, then a refresh, before `exp`. */
const clientTtlSec = (options: ResolvedConformanceOptions): number => options.timings.warnBeforeSec + 3;
const clientTimeout = (options: ResolvedConformanceOptions): number =>
  (2 * clientTtlSec(options) + options.timings.clockToleranceSec) * 1000 + 15_000;

/** Resolves with the first status `accept` takes, or {@link TIMED_OUT}. */
function until(client: AuthClientBase, accept: (status: AuthClientStatus) => boolean, ms: number): Promise<AuthClientStatus | typeof TIMED_OUT> {
  let unsubscribe = (): void => undefined;
  const reached = new Promise<AuthClientStatus>((resolve) => {
    unsubscribe = client.subscribe((status) => accept(status) && resolve(status));
  });
  return within(reached, ms).finally(() => unsubscribe());
}

/** Sends `request` through the client and resolves with its ack (no payload: no argument). */
function send(client: AuthClientBase, { event, payload }: ConformanceRequest): Promise<unknown> {
  return client.emitWithAck(event, ...(payload === undefined ? [] : [payload]));
}

export const refreshUnavailable: FlowDefinition = {
  id: 'refresh-unavailable',
  title: 'refresh endpoint down: the client retries with backoff, never loops, then tells the app',
  timeoutMs: clientTimeout,
  async run(context: FlowContext) {
    const { options } = context;
    const token = await context.token(context.user(), { ttlSec: clientTtlSec(options) });
    const calls: number[] = [];
    const client = context.client({
      getToken: () => token,
      refresh: async () => {
        calls.push(Date.now());
        throw new Error(UNAVAILABLE);
      },
      backoff: BACKOFF,
    });
    const deadline = context.expiresAt(token) + options.timings.clockToleranceSec * 1000 + 10_000;
    const gaveUp = await until(client, (status) => status.state === 'disconnected' || status.state === 'unauthenticated', deadline - Date.now());
    if (calls.length > MAX_REFRESH_CALLS) {
      throw new ConformanceFailure(
        'REFRESH_LOOP',
        `the client called refresh() ${calls.length} times while the endpoint was down (at most ${MAX_REFRESH_CALLS} with maxAttempts ${BACKOFF.maxAttempts})`,
        'make expiry cuts and refusals carry { code: "AUTH_EXPIRED", action: "refresh" } so the client applies its bounded, backed-off retries',
      );
    }
    if (gaveUp === TIMED_OUT || gaveUp.error === undefined) {
      throw new ConformanceFailure(
        'APP_NOT_TOLD',
        `the client did not give up with an error after the token expired (state ${client.state}, ${calls.length} refresh calls)`,
        'cut an expired socket with auth:error AUTH_EXPIRED (action refresh): the client then retries its bounded sequence and stops in state "disconnected" with the error',
      );
    }
    // Given up means given up: no more calls afterwards (there is no event for "nothing more happens").
    const before = calls.length;
    await quiet(2 * BACKOFF.capMs);
    if (calls.length !== before) {
      throw new ConformanceFailure('REFRESH_LOOP', `the client kept calling refresh() after it gave up (${calls.length - before} more)`, 'let the client stop: it must not be reconnected by anything but the app');
    }
  },
};

function clockSkew(direction: 'ahead' | 'behind'): FlowDefinition {
  return {
    id: direction === 'ahead' ? 'clock-skew-ahead' : 'clock-skew-behind',
    title: `clock skew: a client clock minutes ${direction} gets no premature expiry, and re-authenticates before exp`,
    timeoutMs: clientTimeout,
    async run(context: FlowContext) {
      const { options } = context;
      const skewMs = (direction === 'ahead' ? 1 : -1) * options.timings.skewMinutes * 60_000;
      const user = context.user();
      const ttlSec = clientTtlSec(options);
      let current = await context.token(user, { ttlSec });
      const firstExpiresAt = context.expiresAt(current);
      let refreshes = 0;
      const errors: { code: string; at: number }[] = [];
      const refreshedAt: number[] = [];
      const client = context.client({
        now: () => Date.now() + skewMs,
        getToken: () => current,
        refresh: async () => {
          refreshes++;
          return (current = await context.token(user, { ttlSec }));
        },
        backoff: BACKOFF,
      });
      client.on('error', (error) => errors.push({ code: error.code, at: Date.now() }));
      client.on('refreshed', () => refreshedAt.push(Date.now()));
      const refreshed = await until(client, (status) => status.version === 2 || status.state === 'expired' || status.state === 'disconnected', firstExpiresAt + 3_000 - Date.now());
      // Told the token expired while, on the server's clock, it had not.
      const premature = errors.find(({ code, at }) => code === 'AUTH_EXPIRED' && at < firstExpiresAt - EARLY_TOLERANCE_MS);
      if (premature !== undefined) {
        throw new ConformanceFailure(
          'PREMATURE_EXPIRY',
          `with the client clock ${options.timings.skewMinutes} min ${direction}, the client was told AUTH_EXPIRED ${firstExpiresAt - premature.at} ms before its token's exp`,
          'decide expiry on the server\'s clock only (exp + clockTolerance), and refuse a token as expired only once it is',
        );
      }
      if (refreshed === TIMED_OUT || refreshedAt[0] === undefined || refreshedAt[0] > firstExpiresAt) {
        throw new ConformanceFailure(
          'REFRESH_TOO_LATE',
          `with the client clock ${options.timings.skewMinutes} min ${direction}, the client had not re-authenticated by exp (${refreshes} refresh calls, state ${client.state})`,
          'send auth:expiring at exp - warnBeforeSec with the server\'s expiresAt and inMs, and ack auth:refresh with { ok: true, expiresAt }',
        );
      }
      if (refreshes > 2) {
        throw new ConformanceFailure('REFRESH_LOOP', `with the client clock ${direction}, refresh() was called ${refreshes} times for one token`, 'report expiresAt on the server clock (ms) in auth:expiring and the auth:refresh ack');
      }
    },
  };
}

export const clockSkewAhead = clockSkew('ahead');
export const clockSkewBehind = clockSkew('behind');

export const idempotentResend: FlowDefinition = {
  id: 'idempotent-resend',
  title: 'reconnect after a refresh failure: re-sending an event with the same idempotency key takes effect once',
  skipped: (options) => (isSkip(options.observe) ? options.observe.skip : undefined),
  timeoutMs: clientTimeout,
  async run(context: FlowContext) {
    const { options } = context;
    const observe = options.observe as ObservedEffects;
    const watcher = await context.connect(await context.token(context.user(), { ttlSec: 120 }));
    await context.must(watcher, observe.subscribe(context.scope), 'subscribing the watcher');
    const effects: unknown[] = [];
    watcher.on(observe.event, (payload) => effects.push(observe.keyOf(payload)));

    const user = context.user();
    const ttlSec = clientTtlSec(options);
    let current = await context.token(user, { ttlSec });
    let down = true;
    const client = context.client({
      getToken: () => current,
      refresh: async () => {
        if (down) throw new Error(UNAVAILABLE);
        return (current = await context.token(user, { ttlSec: 60 }));
      },
      backoff: { ...BACKOFF, maxAttempts: 6 },
    });
    // The endpoint comes back once the server cut the socket for expiry: the client then reconnects.
    client.on('error', (error) => error.code === 'AUTH_EXPIRED' && (down = false));
    if ((await until(client, (status) => status.state === 'authenticated', 5_000)) === TIMED_OUT) {
      throw new ConformanceFailure('PRECONDITION', `the client did not connect (state ${client.state})`, 'check the token the suite mints is accepted');
    }
    const key = context.key();
    const request = options.privileged.request(key, context.scope);
    const first = await send(client, request).catch((error: Error) => error);
    if (!options.ran(first)) throw new ConformanceFailure('PRECONDITION', `the first send was not handled (${JSON.stringify(first)})`, 'check "privileged"');

    const deadline = context.expiresAt(current) + options.timings.clockToleranceSec * 1000 + CUT_SLACK_MS;
    const cut = await until(client, (status) => status.state !== 'authenticated' && status.state !== 'refreshing', deadline - Date.now());
    if (cut === TIMED_OUT) {
      throw new ConformanceFailure(
        'NOT_CUT_AT_EXPIRY',
        'the client\'s socket was not cut at exp although its token could not be refreshed, so a reconnection could not follow',
        'disconnect a socket at exp + clockTolerance with auth:error AUTH_EXPIRED (action refresh)',
      );
    }
    if (cut.state === 'disconnected' && cut.error === undefined) {
      throw new ConformanceFailure(
        'CUT_WITHOUT_REASON',
        `the client's socket was disconnected (${cut.disconnectReason ?? 'no reason'}) without auth:error, so the client could not know to refresh and reconnect`,
        'send auth:error { code: "AUTH_EXPIRED", action: "refresh" } right before disconnecting an expired socket',
      );
    }
    const back = await until(client, (status) => status.state === 'authenticated', clientTimeout(options));
    if (back === TIMED_OUT) {
      throw new ConformanceFailure('PRECONDITION', `the client did not reconnect after the refresh endpoint recovered (state ${client.state})`, 'cut expired sockets with AUTH_EXPIRED and accept the fresh token at the next handshake');
    }
    // The ack of the first send was "lost": the client sends the same payload, same key, again.
    await send(client, request).catch(() => undefined);
    const marker = context.key();
    const markerSeen = new Promise<void>((resolve) => watcher.on(observe.event, (p) => observe.keyOf(p) === marker && resolve()));
    await send(client, options.privileged.request(marker, context.scope)).catch(() => undefined);
    await within(markerSeen, 5_000);
    const count = effects.filter((seen) => seen === key).length;
    if (count !== 1) {
      throw new ConformanceFailure(
        'DUPLICATE_SIDE_EFFECT',
        `the event re-sent with the same key after the reconnection took effect ${count} times`,
        'remember the idempotency keys of recent events per subject (not per connection: a reconnection is a new socket) and ack a repeated key again without repeating its effect',
      );
    }
  },
};
