/**
 * What a connection costs the server while it is open, and that it is let go of exactly when it must be: the
 * listeners sockauth puts on a socket are shared functions (never a closure or a `once` wrapper per connection),
 * the TCP socket keeps nothing of sockauth's once the connection is admitted, and a verified upgrade whose socket
 * `ws` never hands over is released when that socket closes, and a live connection keeps no copy of its token.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { getHeapSnapshot } from 'node:v8';
import { WebSocketServer, type WebSocket } from 'ws';
import { closeAfterTest, closeAll } from '@sockauth/testing';
import { createWsAuth } from '../src/index';
import { TestClient, connectWs, gatedVerifier, startWsServer } from './support';
import { deferred } from '../../../test/support/async';
import { hs256Verifier, mint } from '../../../test/support/tokens';

afterEach(closeAll);

/** The listeners of `event` that two emitters share (the same function object on both). */
function shared(a: NodeJS.EventEmitter, b: NodeJS.EventEmitter, event: string): Function[] {
  return a.listeners(event).filter((listener) => b.listeners(event).includes(listener));
}

/** Whether the server heap holds `needle` (bytes of a string): a heap snapshot, scanned as it streams. */
async function heapHolds(needle: Buffer): Promise<boolean> {
  // The last RegExp match keeps its subject string alive: make it one of no interest.
  /x/.exec('x');
  let tail = Buffer.alloc(0);
  for await (const chunk of getHeapSnapshot()) {
    const window = Buffer.concat([tail, chunk as Buffer]);
    if (window.includes(needle)) return true;
    tail = window.subarray(Math.max(0, window.length - needle.length));
  }
  return false;
}

/**
 * Opens a WebSocket with its token in the query, over a raw TCP socket (a `ws` client would keep the URL), and
 * returns the token's signature as bytes: no string of it is left in this process but what the server keeps.
 */
async function upgradeWithQueryToken(port: number, path: string): Promise<Buffer> {
  const token = await mint({ sub: 'alice' });
  const socket = connect(port, '127.0.0.1');
  closeAfterTest(() => void socket.destroy());
  const switched = new Promise<void>((resolve) => socket.once('data', () => resolve()));
  socket.write(
    [`GET ${path}?token=${token} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', '', ''].join('\r\n'),
  );
  await switched;
  return Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'latin1');
}

describe('ws connection state', () => {
  test('per connection, sockauth adds only shared listeners: no closure, no once wrapper, nothing left on the TCP socket', async () => {
    const { url, wss, requests } = await startWsServer({ heartbeat: { intervalMs: 60_000 } });
    const sockets: WebSocket[] = [];
    wss.on('connection', (ws) => sockets.push(ws));
    await connectWs(url, await mint({ sub: 'alice' }));
    await connectWs(url, await mint({ sub: 'bob' }));
    const [a, b] = sockets as [WebSocket, WebSocket];
    // 'message' (envelope) and 'error': sockauth's, shared. The heartbeat reads the TCP socket's byte count: no 'pong'
    // listener (a fourth event name would grow every socket's event table by 96 bytes).
    for (const event of ['message', 'error']) {
      expect(a.listenerCount(event)).toBe(1);
      expect(shared(a, b, event)).toHaveLength(1);
    }
    expect(a.listenerCount('pong')).toBe(0);
    // 'close': ws's own client tracking (a closure per socket) and sockauth's one shared listener, no once wrapper.
    expect(shared(a, b, 'close')).toHaveLength(1);
    expect(a.rawListeners('close')).toEqual(a.listeners('close'));
    // The TCP socket's 'close' listener that releases an upgrade never handed over is gone once admitted.
    const [reqA, reqB] = requests as [IncomingMessage, IncomingMessage];
    expect(reqA.socket.listeners('close')).toEqual(shared(reqA.socket, reqB.socket, 'close'));
  });

  test('a verified upgrade that ws never hands over (server closing) is released when its socket closes', async () => {
    const { verifier, verifying, release } = gatedVerifier();
    const { url, wss, http, wsAuth } = await startWsServer({ verifier });
    const socketClosed = deferred<number>();
    http.prependListener('upgrade', (_req, socket) =>
      // Read after every 'close' listener ran (sockauth's included): emit calls them all before the tick.
      socket.once('close', () => process.nextTick(() => socketClosed.resolve(wsAuth.size))),
    );
    let admitted = 0;
    wsAuth.onConnection(() => admitted++);
    const client = new TestClient(url, { headers: { authorization: 'Bearer opaque' } });
    client.opened.catch(() => undefined);
    await verifying;
    // ws refuses to complete an upgrade for a server that is closing (503): the socket is destroyed, never handed over.
    wss.close();
    release();
    expect(await socketClosed.promise).toBe(0);
    expect(admitted).toBe(0);
  });

  test('a live connection keeps no copy of its token: neither its path (a long one) nor the verifier\'s memo of clean headers is a view of the URL', async () => {
    const http = createServer();
    const wsAuth = createWsAuth({ verifier: hs256Verifier(), allowQueryToken: true });
    const path = '/realtime/chat-updates';
    const wss = new WebSocketServer({ server: http, path, ...wsAuth.serverOptions });
    wsAuth.attach(wss);
    const admitted = deferred();
    wsAuth.onConnection(() => admitted.resolve());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    closeAfterTest(async () => {
      wsAuth.close();
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const signature = await upgradeWithQueryToken((http.address() as AddressInfo).port, path);
    await admitted.promise;
    expect(wsAuth.size).toBe(1);
    expect(await heapHolds(signature)).toBe(false);
  }, 60_000);
});
