/**
 * The lifecycle conformance suite of `@sockauth/testing`, generated for every demo server exactly as a user would
 * generate it for theirs: started as a child process (test/contract/servers.ts), tokens from the kit's issuer.
 */
import { describeConformance } from '@sockauth/testing/jest-globals';
import type { TestIssuer } from '@sockauth/testing';
import { CONTRACT_AUDIENCE, CONTRACT_ISSUER, contractServers, type RunningServer } from '../contract/servers';
import { adminPost, chatEvents } from './chat-conformance';

for (const demo of contractServers) {
  let running: RunningServer | undefined;
  let trusted: TestIssuer;
  describeConformance({
    name: `${demo.name} passes the lifecycle conformance suite (socket.io)`,
    issuer: { issuer: CONTRACT_ISSUER, audience: CONTRACT_AUDIENCE },
    async start({ issuer }) {
      trusted = issuer!;
      running = await demo.start({ JWT_SECRET: issuer!.secret!, WARN_BEFORE_SEC: '2', CLOCK_TOLERANCE_SEC: '0' });
      const server = running;
      return { url: server.url, stop: () => server.stop(), logs: () => server.stdout() + server.stderr() };
    },
    ...chatEvents,
    revoke: ({ sessionId }) => adminPost(running!.url, trusted, '/auth/revoke', { sessionId }),
    restrict: { skip: 'POST /admin/restrict reaches the demos with branch rooms' },
    rooms: { skip: 'auth:room-left reaches the demos with branch rooms' },
    timings: { ttlSec: 3, clockToleranceSec: 0, warnBeforeSec: 2 },
  });
}
