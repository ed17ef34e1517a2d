/**
 * The conformance suite catches, on plain WebSockets, each flaw it is meant to catch and only that: the flawed chat
 * on `ws` (flawed-ws-chat-server.ts) is run through `webSocketDriver` sound, then with one flaw switched on (the
 * flaws whose shape differs on this wire), and the set of failing flows and their codes is compared. The
 * pre-handshake message is also shown to really travel in the upgrade request's own TCP write.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webSocketDriver, type ConformanceFailureCode, type FlowId } from '@sockauth/testing';
import { WebSocket } from 'ws';
import { FLAW_RUN_TIMEOUT_MS, flawFailures } from './flaw-failures';
import type { Flaw } from './flawed-chat';
import { startFlawedWsChatServer } from './flawed-ws-chat-server';

const driver = webSocketDriver({ WebSocket });
const failures = (flaws: readonly Flaw[]) => flawFailures(startFlawedWsChatServer, flaws, driver);

it('a sound server passes every flow', async () => {
  expect(await failures([])).toEqual({});
}, FLAW_RUN_TIMEOUT_MS);

it.each<[Flaw, Partial<Record<FlowId, ConformanceFailureCode>>]>([
  // Frames handled on an upgrade completed before the token was verified; a revoked session slips in meanwhile.
  ['pre-handshake-events', { 'pre-handshake-events': 'HANDLED_BEFORE_HANDSHAKE', 'revoked-reconnect': 'REVOKED_SESSION_RECONNECTED' }],
  [
    'no-expiry-cut',
    {
      'expiry-idle': 'NOT_CUT_AT_EXPIRY',
      'expiry-active': 'HANDLED_AFTER_EXPIRY',
      'refresh-unavailable': 'APP_NOT_TOLD',
      'idempotent-resend': 'NOT_CUT_AT_EXPIRY',
    },
  ],
  // auth:error is still sent, but the close (1000, no reason) is what a browser reads: the cut has no reason. The
  // client flows pass: @sockauth/client also reads the auth:error that came first.
  ['no-close-reason', { 'expiry-idle': 'CUT_WITHOUT_REASON', 'expiry-active': 'CUT_WITHOUT_REASON', 'logout-other-tab': 'CUT_WITHOUT_REASON' }],
  ['stale-rooms', { 'rooms-left': 'ROOM_STILL_DELIVERED' }],
  ['token-echo', { 'token-not-echoed': 'TOKEN_ECHOED' }],
])('a server with the flaw %s fails exactly the flows that catch it', async (flaw, expected) => {
  expect(await failures([flaw])).toEqual(expected);
}, FLAW_RUN_TIMEOUT_MS);

it('the pre-handshake message travels in the same TCP write as the upgrade request (the bytes after it: ws\'s head)', async () => {
  const http = createServer();
  const heads: Buffer[] = [];
  // Records what came with the request, then refuses as a sockauth server would (upgrade completed, closed 4101).
  const wss = new (await import('ws')).WebSocketServer({ noServer: true });
  http.on('upgrade', (request, socket, head) => {
    heads.push(Buffer.from(head));
    wss.handleUpgrade(request, socket, head, (ws) => ws.close(4101, JSON.stringify({ code: 'AUTH_INVALID', action: 'login' })));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    const outcome = await driver.sendBeforeHandshake(url, 'not-a-jwt', { event: 'chat:send', payload: { room: 'r', id: 'k' } }, { timeoutMs: 5_000, quietMs: 50 });
    expect(outcome).toEqual({ handshake: { accepted: false, code: 'AUTH_INVALID' }, acks: [] });
    // Two connections: the first carried a masked text frame (0x81, mask bit) behind its request, the second nothing.
    expect(heads).toHaveLength(2);
    expect([heads[0]![0], heads[0]![1]! & 0x80]).toEqual([0x81, 0x80]);
    expect(heads[1]).toHaveLength(0);
  } finally {
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
});
