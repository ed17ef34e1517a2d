/**
 * The lifecycle conformance suite of `@sockauth/testing`, generated for every demo server exactly as a user would
 * generate it for theirs: started as a child process (test/contract/servers.ts), tokens from the kit's issuer, over
 * Socket.IO for socketio-chat and nestjs-chat and over plain WebSockets for ws-chat. Every flow runs on every demo:
 * rooms through `chat:join` (every room needs chat:read) and the live restriction through `POST /admin/restrict`.
 */
import { describeConformance } from '@sockauth/testing/jest-globals';
import { socketIoDriver, webSocketDriver, type ConformanceDriver, type TestIssuer } from '@sockauth/testing';
import { WebSocket } from 'ws';
import { CONTRACT_AUDIENCE, CONTRACT_ISSUER, contractServers, wsContractServers, type ContractServer, type RunningServer } from '../contract/servers';
import { adminPost, chatEvents } from './chat-conformance';

function describeDemo(demo: ContractServer, driver: ConformanceDriver): void {
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
    // examples/chat-common CHAT_ROOMS: every room needs chat:read.
    rooms: { permission: 'chat:read' },
    revoke: ({ sessionId }) => admin('/auth/revoke', { sessionId }),
    // Answers once the subject's live connections were re-evaluated.
    restrict: (subject, deny) => admin('/admin/restrict', { subject, deny }),
    timings: { ttlSec: 3, clockToleranceSec: 0, warnBeforeSec: 2 },
  });
}

for (const demo of contractServers) describeDemo(demo, socketIoDriver());
for (const demo of wsContractServers) describeDemo(demo, webSocketDriver({ path: '/ws', WebSocket }));
