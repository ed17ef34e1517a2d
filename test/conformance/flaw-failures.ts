/**
 * Runs the conformance suite's runner-agnostic core directly (every flow at once, each with its own users) against
 * a flawed fixture, and says which flows failed with which code: the flaw-detection specs compare that set.
 */
import { conformanceFlows, type ConformanceDriver, type ConformanceFailureCode, type FlowId, type TestIssuer } from '@sockauth/testing';
import { chatEvents } from './chat-conformance';
import type { Flaw, FlawedChatServer } from './flawed-chat';

/** Starts a flawed fixture with the kit's issuer. */
export type StartFlawed = (issuer: TestIssuer, flaws: readonly Flaw[]) => Promise<FlawedChatServer>;

/** How long one run of every flow may take on a loaded machine. */
export const FLAW_RUN_TIMEOUT_MS = 60_000;

/** Runs every flow of the suite against the fixture `start` starts with `flaws`; resolves with the code of each failing flow. */
export async function flawFailures(
  start: StartFlawed,
  flaws: readonly Flaw[],
  driver?: ConformanceDriver,
): Promise<Partial<Record<FlowId, ConformanceFailureCode | string>>> {
  let server: FlawedChatServer | undefined;
  const suite = conformanceFlows({
    name: `flawed chat (${flaws.join(', ') || 'sound'})`,
    ...(driver !== undefined && { driver }),
    async start({ issuer }) {
      server = await start(issuer as TestIssuer, flaws);
      return server;
    },
    ...chatEvents,
    rooms: { permission: 'chat:read' },
    revoke: async ({ sessionId }) => server!.revoke(sessionId),
    restrict: async (subject, deny) => server!.restrict(subject, deny),
    timings: { ttlSec: 3, clockToleranceSec: 0, warnBeforeSec: 2 },
  });
  await suite.setUp();
  try {
    const outcomes = await Promise.all(suite.flows.map((flow) => flow.run().then(() => undefined, (error: { code?: string; message?: string }) => [flow.id, error.code ?? error.message] as const)));
    return Object.fromEntries(outcomes.filter((outcome) => outcome !== undefined));
  } finally {
    await suite.tearDown();
  }
}
