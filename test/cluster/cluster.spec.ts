/**
 * Three demo server PROCESSES on one real Redis (REDIS_URL: `RedisRevocationStore` + the Socket.IO Redis
 * adapter), driven black-box like a load balancer would spread clients over them:
 * - A and B: examples/socketio-chat, straight to Redis;
 * - C: examples/nestjs-chat, through a TCP proxy the test can cut, to cut C alone off from Redis.
 */
import { adminToken, mint, post, uniqueRoom, uniqueUser } from '../contract/helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, type RunningServer } from '../contract/servers';
import { within } from '../support/async';
import { closeAll } from '@sockauth/testing';
import { client, connect, connectOutcome, nextEvent, refused, type ClientSocket } from '../support/clients';
import { startRedis, startTcpProxy, type RedisServer, type TcpProxy } from '../support/redis';

/** Bound on anything the test awaits from another process (generous: a loaded 2-core machine). */
const WAIT_MS = 15_000;
const socketioChat = contractServers.find((server) => server.name === 'examples/socketio-chat')!;
const nestjsChat = contractServers.find((server) => server.name === 'examples/nestjs-chat')!;

let redis: RedisServer;
let proxy: TcpProxy;
let a: RunningServer;
let b: RunningServer;
let c: RunningServer;
/** Revocation → disconnect latencies observed on the other nodes (ms), reported once at the end. */
const latencies: { node: string; ms: number }[] = [];

beforeAll(async () => {
  redis = await startRedis();
  proxy = await startTcpProxy(redis.port);
  const started = await Promise.allSettled([
    socketioChat.start({ REDIS_URL: redis.url }),
    socketioChat.start({ REDIS_URL: redis.url }),
    nestjsChat.start({ REDIS_URL: proxy.url }),
  ]);
  for (const result of started) if (result.status === 'fulfilled') trackNode(result.value);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  [a, b, c] = started.map((result) => (result as PromiseFulfilledResult<RunningServer>).value) as [RunningServer, RunningServer, RunningServer];
}, SERVER_HOOK_TIMEOUT_MS);

const nodes: RunningServer[] = [];
function trackNode(node: RunningServer): void {
  nodes.push(node);
}

afterEach(closeAll);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  await proxy?.close();
  await redis?.stop();
  if (latencies.length > 0) {
    const summary = latencies.map(({ node, ms }) => `${node} ${ms} ms`).join(', ');
    console.info(`cluster: POST /auth/revoke on A → disconnect on other processes: ${summary}`);
  }
}, 30_000);

interface Cut {
  /** `code` of the `auth:error` that came before the disconnect, if any. */
  readonly code: string | undefined;
  readonly reason: string;
  readonly at: number;
}

/** Resolves when the server disconnects `socket`, with the `auth:error` code it sent first. */
function whenCut(socket: ClientSocket): Promise<Cut> {
  return new Promise((resolve) => {
    let code: string | undefined;
    socket.on('auth:error', (error: { code?: string }) => {
      code = error?.code;
    });
    socket.once('disconnect', (reason: string) => resolve({ code, reason, at: Date.now() }));
  });
}

function userToken(subject: string): Promise<string> {
  return mint({ sub: subject, scope: 'chat:read chat:write', jti: `${subject}-${Math.random().toString(36).slice(2)}` });
}

function connectAs(url: string, token: string): Promise<ClientSocket> {
  return connect(url, { auth: { token } });
}

/**
 * Connects, retrying while the node answers `AUTH_UNAVAILABLE` (its revocation store is reconnecting to Redis
 * and fails closed). Any other refusal fails the test.
 */
async function connectWhenAvailable(url: string, token: string): Promise<ClientSocket> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const socket = client(url, { auth: { token } });
    const outcome = await connectOutcome(socket);
    if (outcome.connected) return socket;
    socket.close();
    if (outcome.error.data?.code !== 'AUTH_UNAVAILABLE' || Date.now() > deadline) {
      throw new Error(`handshake refused: ${JSON.stringify(outcome.error.data ?? outcome.error.message)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** `POST /auth/revoke`, retrying while the node answers 503 (its store is reconnecting to Redis). */
async function revokeWhenAvailable(url: string, body: Record<string, string>): Promise<{ status: number; body: any }> {
  const admin = await adminToken();
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const answer = await post(url, '/auth/revoke', body, { authorization: `Bearer ${admin}` });
    if (answer.status !== 503 || Date.now() > deadline) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('three processes on one Redis', () => {
  it('a revocation on A cuts the user on A, B and C (auth:error AUTH_REVOKED, then disconnect); C refuses it afterwards', async () => {
    const user = uniqueUser('multi');
    const bystander = uniqueUser('other');
    const token = await userToken(user);
    const otherToken = await userToken(bystander);
    // The same user on all three nodes (two sockets each), and someone else on each node who must stay.
    const targets = await Promise.all([a, a, b, b, c, c].map((node) => connectAs(node.url, token)));
    const others = await Promise.all([a, b, c].map((node) => connectAs(node.url, otherToken)));
    const cuts = targets.map((socket) => within(whenCut(socket), 'a revoked socket to be cut', WAIT_MS));

    const admin = await adminToken();
    const sentAt = Date.now();
    const answer = await post(a.url, '/auth/revoke', { subject: user }, { authorization: `Bearer ${admin}` });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ disconnected: 2 }); // A's own sockets; B and C cut theirs

    const results = await Promise.all(cuts);
    for (const cut of results) expect(cut).toMatchObject({ code: 'AUTH_REVOKED', reason: 'io server disconnect' });
    latencies.push({ node: 'B', ms: Math.max(results[2]!.at, results[3]!.at) - sentAt });
    latencies.push({ node: 'C (nest)', ms: Math.max(results[4]!.at, results[5]!.at) - sentAt });

    // Everyone else is still there and served.
    for (const socket of others) {
      expect(socket.connected).toBe(true);
      expect(await socket.timeout(WAIT_MS).emitWithAck('whoami')).toMatchObject({ subject: bystander });
    }
    // The revoked token is refused at the handshake on every node, C included.
    for (const node of [c, b]) {
      const error = await refused(node.url, { auth: { token } });
      expect(error.data).toEqual({ code: 'AUTH_REVOKED', action: 'login' });
    }
  }, 40_000);

  it('broadcasts across processes through the Socket.IO Redis adapter (both examples)', async () => {
    const room = uniqueRoom();
    const sockets = await Promise.all([a, b, c].map(async (node) => connectAs(node.url, await userToken(uniqueUser('chat')))));
    for (const socket of sockets) expect(await socket.timeout(WAIT_MS).emitWithAck('chat:join', { room })).toEqual({ ok: true });
    const received = sockets.slice(1).map((socket) => within(nextEvent<{ text: string }>(socket, 'chat:message'), 'chat:message', WAIT_MS));
    expect(await sockets[0]!.timeout(WAIT_MS).emitWithAck('chat:send', { room, text: 'hello from A' })).toMatchObject({ ok: true });
    for (const message of await Promise.all(received)) expect(message).toMatchObject({ room, text: 'hello from A' });
  }, 30_000);

  it('Redis restarted mid-test: the nodes reconnect by themselves and revocations propagate again', async () => {
    const before = uniqueUser('restart');
    const token = await userToken(before);
    const onB = await connectAs(b.url, token);
    const onC = await connectAs(c.url, token);
    const cuts = [onB, onC].map((socket, i) => within(whenCut(socket), `the revoked socket on ${'BC'[i]} to be cut after the restart`, WAIT_MS));

    await redis.restart(); // no persistence: Redis comes back empty

    // A's store answers 503 until it is back; then the revocation reaches B and C (live, or by their resync).
    const answer = await revokeWhenAvailable(a.url, { subject: before });
    expect(answer.status).toBe(200);
    for (const cut of await Promise.all(cuts)) expect(cut).toMatchObject({ code: 'AUTH_REVOKED' });

    // And live propagation works again, this time from B.
    const after = uniqueUser('restart2');
    const token2 = await userToken(after);
    const sockets = await Promise.all([a, c].map((node) => connectWhenAvailable(node.url, token2)));
    const cuts2 = sockets.map((socket) => within(whenCut(socket), 'a socket revoked from B', WAIT_MS));
    const answer2 = await revokeWhenAvailable(b.url, { subject: after });
    expect(answer2.status).toBe(200);
    for (const cut of await Promise.all(cuts2)) expect(cut).toMatchObject({ code: 'AUTH_REVOKED' });
  }, 45_000);

  it('a revocation made while C was cut off from Redis takes effect on C when it comes back', async () => {
    const user = uniqueUser('cutoff');
    const token = await userToken(user);
    const onA = await connectWhenAvailable(a.url, token);
    const onC = await connectWhenAvailable(c.url, token);
    const cutOnA = within(whenCut(onA), 'the socket on A to be cut', WAIT_MS);
    const cutOnC = within(whenCut(onC), 'the socket on C to be cut once C is back', WAIT_MS);

    proxy.cut(); // C alone loses Redis (its store, its adapter); A and B still reach it.

    // While cut off, C fails closed for new handshakes...
    const unavailable = await within(
      (async () => {
        for (;;) {
          const error = await refused(c.url, { auth: { token: await userToken(uniqueUser('late')) } }).catch(() => undefined);
          if (error?.data?.code === 'AUTH_UNAVAILABLE') return error;
          await new Promise((resolve) => setTimeout(resolve, 100)); // C has not noticed yet
        }
      })(),
      'C to refuse handshakes with AUTH_UNAVAILABLE',
      WAIT_MS,
    );
    expect(unavailable.data).toEqual({ code: 'AUTH_UNAVAILABLE', action: 'retry' });

    // ...while A revokes the user. A cuts its socket; C cannot know yet, its socket stays.
    const answer = await post(a.url, '/auth/revoke', { subject: user }, { authorization: `Bearer ${await adminToken()}` });
    expect(answer).toMatchObject({ status: 200, body: { disconnected: 1 } });
    expect(await cutOnA).toMatchObject({ code: 'AUTH_REVOKED' });
    expect(onC.connected).toBe(true);
    expect(await onC.timeout(WAIT_MS).emitWithAck('whoami')).toMatchObject({ subject: user });

    proxy.restore(); // C reconnects by itself, resubscribes, reads what it missed and cuts the socket.
    const restoredAt = Date.now();
    const cut = await cutOnC;
    expect(cut).toMatchObject({ code: 'AUTH_REVOKED', reason: 'io server disconnect' });
    latencies.push({ node: 'C after reconnecting (from restore)', ms: cut.at - restoredAt });
    const error = await refused(c.url, { auth: { token } });
    expect(error.data).toEqual({ code: 'AUTH_REVOKED', action: 'login' });
  }, 45_000);
});
