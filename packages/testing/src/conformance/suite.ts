import { createTestIssuer, type TestIssuer } from '../test-issuer.js';
import { expiryActive, expiryIdle } from './expiry-flows.js';
import { clockSkewAhead, clockSkewBehind, idempotentResend, refreshUnavailable } from './client-flows.js';
import { FlowContext } from './flow-context.js';
import type { FlowId } from './flow-ids.js';
import type { FlowDefinition } from './flow.js';
import { preHandshakeEvents } from './handshake-flows.js';
import { tokensInLogs } from './log-flows.js';
import { resolveConformanceOptions, type ConformanceClaims, type ConformanceOptions, type ConformanceServer } from './options.js';
import { roleLossReauth, roleLossRestrict, roomsLeft } from './permission-flows.js';
import { logoutOtherTab, revokedReconnect } from './session-flows.js';
import { socketIoDriver } from './socket-io-driver.js';
import { tokenNotEchoed } from './token-echo-flows.js';

/** Every flow, in the order the suite runs them. */
const FLOWS: readonly FlowDefinition[] = [
  expiryIdle,
  expiryActive,
  logoutOtherTab,
  roleLossReauth,
  roleLossRestrict,
  roomsLeft,
  refreshUnavailable,
  clockSkewAhead,
  clockSkewBehind,
  idempotentResend,
  preHandshakeEvents,
  revokedReconnect,
  tokensInLogs,
  tokenNotEchoed,
];

/** One generated test: run it, or skip it for the reason given. */
export interface ConformanceFlow {
  readonly id: FlowId;
  /** The test name (with `(skipped: reason)` when skipped). */
  readonly title: string;
  /** Why it is skipped (explicitly, in the options), or `undefined`. */
  readonly skipped: string | undefined;
  /** A test timeout that covers the flow's waits on a loaded machine, in ms. */
  readonly timeoutMs: number;
  /** Runs the flow against the started server; rejects with a `ConformanceFailure`. Call `setUp()` first. */
  run(): Promise<void>;
}

/** The suite, runner-agnostic: start the server, run the flows (in any order, even at once), stop it. */
export interface ConformanceSuite {
  readonly title: string;
  readonly flows: readonly ConformanceFlow[];
  /** Starts the server (and the kit's issuer). */
  setUp(): Promise<void>;
  /** Stops the server. Idempotent. */
  tearDown(): Promise<void>;
}

/** How long `start()` may take (a server compiled at start-up on a loaded machine). */
export const START_TIMEOUT_MS = 60_000;

/**
 * The lifecycle conformance suite as plain data and functions, for any runner (or none): validates `options`
 * at once (a `TypeError` naming the option), starts the server in `setUp()`, and gives one runnable flow per test.
 * {@link defineConformanceSuite} turns it into `describe`/`it` calls.
 *
 * @example
 * ```ts
 * const suite = conformanceFlows(options);
 * await suite.setUp();
 * try {
 *   for (const flow of suite.flows) if (!flow.skipped) await flow.run();
 * } finally {
 *   await suite.tearDown();
 * }
 * ```
 */
export function conformanceFlows(options: ConformanceOptions): ConformanceSuite {
  const resolved = resolveConformanceOptions({ ...options, driver: options.driver ?? socketIoDriver() });
  let issuer: TestIssuer | undefined;
  let server: ConformanceServer | undefined;
  let stopped: Promise<void> | undefined;
  const mint = async (claims: ConformanceClaims): Promise<string> => {
    if (resolved.mint !== undefined) return resolved.mint(claims);
    if (issuer === undefined) throw new Error('conformance: setUp() was not called');
    return issuer.mint({ sub: claims.subject, sid: claims.sessionId, permissions: claims.permissions, ttlSec: claims.ttlSec });
  };
  const flows = FLOWS.map((flow): ConformanceFlow => {
    const skipped = resolved.skip[flow.id] ?? flow.skipped?.(resolved);
    return {
      id: flow.id,
      title: skipped === undefined ? flow.title : `${flow.title} (skipped: ${skipped})`,
      skipped,
      timeoutMs: flow.timeoutMs(resolved),
      async run() {
        if (server === undefined) throw new Error('conformance: setUp() was not called (or start() failed)');
        const context = new FlowContext(resolved, server, mint);
        try {
          await flow.run(context);
        } finally {
          context.close();
        }
      },
    };
  });
  return {
    title: resolved.name ?? `sockauth lifecycle conformance (${resolved.driver!.name})`,
    flows,
    async setUp() {
      if (resolved.mint === undefined) issuer = await createTestIssuer(resolved.issuer);
      server = await resolved.start({ issuer });
      if (typeof server?.url !== 'string' || typeof server.stop !== 'function') {
        throw new TypeError('conformance: start() must resolve with { url, stop(), logs?() }');
      }
    },
    tearDown() {
      stopped ??= (async () => {
        await server?.stop();
        await issuer?.close();
      })();
      return stopped;
    },
  };
}

type Body = () => Promise<void> | void;

/**
 * The runner functions the suite is generated with: jest's, Vitest's, or any with the same shape.
 *
 * @example
 * ```ts
 * import { afterAll, beforeAll, describe, it } from 'vitest';
 * const runner: ConformanceRunner = { describe, it, beforeAll, afterAll };
 * ```
 */
export interface ConformanceRunner {
  describe(name: string, body: () => void): unknown;
  it: ((name: string, body: Body, timeoutMs?: number) => unknown) & { skip(name: string, body: Body): unknown };
  beforeAll(body: Body, timeoutMs?: number): unknown;
  afterAll(body: Body, timeoutMs?: number): unknown;
}

/**
 * Generates the lifecycle conformance tests with `runner`'s `describe`/`it`: one `describe` for the server, one
 * test per flow (a skipped flow is an `it.skip` whose name says why). Prefer `describeConformance` from
 * `@sockauth/testing/jest-globals` or `@sockauth/testing/vitest`, which pass the runner for you.
 *
 * @example
 * ```ts
 * import { describe, it, beforeAll, afterAll } from '@jest/globals';
 * defineConformanceSuite({ describe, it, beforeAll, afterAll }, options);
 * ```
 */
export function defineConformanceSuite(runner: ConformanceRunner, options: ConformanceOptions): ConformanceSuite {
  const suite = conformanceFlows(options);
  runner.describe(suite.title, () => {
    runner.beforeAll(() => suite.setUp(), START_TIMEOUT_MS);
    runner.afterAll(() => suite.tearDown(), START_TIMEOUT_MS);
    for (const flow of suite.flows) {
      if (flow.skipped !== undefined) runner.it.skip(flow.title, () => undefined);
      else runner.it(flow.title, () => flow.run(), flow.timeoutMs);
    }
  });
  return suite;
}
