/**
 * The lifecycle conformance suite of `@sockauth/testing`, generated for every demo server exactly as a user would
 * generate it for theirs: started as a child process (test/contract/servers.ts), tokens from the kit's issuer, over
 * Socket.IO for socketio-chat and nestjs-chat and over plain WebSockets for ws-chat.
 */
import { describeConformance } from '@sockauth/testing/jest-globals';
import { socketIoDriver, webSocketDriver, type ConformanceDriver, type ConformanceOptions, type TestIssuer } from '@sockauth/testing';
import { WebSocket } from 'ws';
import { CONTRACT_AUDIENCE, CONTRACT_ISSUER, contractServers, wsContractServers, type ContractServer, type RunningServer } from '../contract/servers';
import { adminPost, chatEvents } from './chat-conformance';

/** What a demo supports beyond the flows every demo runs. */
type DemoFeatures = Pick<ConformanceOptions, 'rooms' | 'restrict'>;

function describeDemo(demo: ContractServer, driver: ConformanceDriver, features: (admin: (path: string, body: unknown) => Promise<void>) => DemoFeatures): void {
  let running: RunningServer | undefined;
  let trusted: TestIssuer;
  const admin = (path: string, body: unknown): Promise<void> => adminPost(running!.url, trusted, path, body);
  describeConformance({
    name: `${demo.name} passes the lifecycle conformance suite (${driver.name})`,
    driver,
    issuer: { issuer: CONTRACT_ISSUER, audience: CONTRACT_AUDIENCE },
    async start({ issuer }) {
      trusted = issuer!;
      running = await demo.start({ JWT_SECRET: issuer!.secret!, WARN_BEFORE_SEC: '2', CLOCK_TOLERANCE_SEC: '0' });
      const server = running;
      return { url: server.url, stop: () => server.stop(), logs: () => server.stdout() + server.stderr() };
    },
    ...chatEvents,
    revoke: ({ sessionId }) => admin('/auth/revoke', { sessionId }),
    ...features(admin),
    timings: { ttlSec: 3, clockToleranceSec: 0, warnBeforeSec: 2 },
  });
}

for (const demo of contractServers) {
  describeDemo(demo, socketIoDriver(), () => ({
    restrict: { skip: 'POST /admin/restrict reaches the demos with branch rooms' },
    rooms: { skip: 'auth:room-left reaches the demos with branch rooms' },
  }));
}

for (const demo of wsContractServers) {
  // Every room needs chat:read (examples/chat-common CHAT_ROOMS).
  describeDemo(demo, webSocketDriver({ path: '/ws', WebSocket }), () => ({
    rooms: { permission: 'chat:read' },
    restrict: { skip: 'POST /admin/restrict reaches ws-chat with branch rooms' },
  }));
}
