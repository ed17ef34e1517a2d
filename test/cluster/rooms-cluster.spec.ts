/**
 * DEMO-CONTRACT "Rooms follow current authorization" across nodes: three demo PROCESSES on one real Redis
 * (A and B: examples/socketio-chat, C: examples/nestjs-chat). `POST /admin/restrict` on one node re-evaluates the
 * subject's sockets on every node (`{ affected }` counts them all), evicts them from the rooms the restriction
 * forbids, and every node withholds the permission from then on (new handshakes too).
 */
import { adminToken, mint, post, uniqueRoom, uniqueUser } from '../contract/helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, type RunningServer } from '../contract/servers';
import { within } from '../support/async';
import { closeAll } from '@sockauth/testing';
import { connect, nextEvent, type ClientSocket } from '../support/clients';
import { startRedis, type RedisServer } from '../support/redis';

const WAIT_MS = 15_000;
const socketioChat = contractServers.find((server) => server.name === 'examples/socketio-chat')!;
const nestjsChat = contractServers.find((server) => server.name === 'examples/nestjs-chat')!;

let redis: RedisServer;
let nodes: RunningServer[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const started = await Promise.allSettled([
    socketioChat.start({ REDIS_URL: redis.url }),
    socketioChat.start({ REDIS_URL: redis.url }),
    nestjsChat.start({ REDIS_URL: redis.url }),
  ]);
  nodes = started.filter((r): r is PromiseFulfilledResult<RunningServer> => r.status === 'fulfilled').map((r) => r.value);
  const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}, SERVER_HOOK_TIMEOUT_MS);

afterEach(closeAll);

afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  await redis?.stop();
}, 30_000);

async function as(url: string, sub: string, scope: string): Promise<ClientSocket> {
  return connect(url, { auth: { token: await mint({ sub, scope }) } });
}

function ask<T = any>(socket: ClientSocket, event: string, ...args: unknown[]): Promise<T> {
  return socket.timeout(WAIT_MS).emitWithAck(event, ...args) as Promise<T>;
}

async function restrict(url: string, subject: string, deny: string[]): Promise<{ status: number; body: any }> {
  return post(url, '/admin/restrict', { subject, deny }, { authorization: `Bearer ${await adminToken()}` });
}

it('a restriction on A evicts the subject on A, B and C at once, counts them all, and holds for new handshakes everywhere', async () => {
  const [a, b, c] = nodes as [RunningServer, RunningServer, RunningServer];
  const alice = uniqueUser('alice');
  const [staff, general] = [`staff-${uniqueRoom()}`, uniqueRoom()];
  const sockets = await Promise.all([a, b, c].map((node) => as(node.url, alice, 'chat:read chat:write chat:admin')));
  for (const socket of sockets) {
    expect(await ask(socket, 'chat:join', { room: staff })).toEqual({ ok: true });
    expect(await ask(socket, 'chat:join', { room: general })).toEqual({ ok: true });
  }
  const witness = await as(b.url, uniqueUser('staff'), 'chat:read chat:write chat:admin');
  await ask(witness, 'chat:join', { room: staff });
  const leaves = sockets.map((socket) => within(nextEvent(socket, 'auth:room-left'), 'auth:room-left', WAIT_MS));
  const staffGot = sockets.map(() => [] as string[]);
  sockets.forEach((socket, i) => socket.on('chat:message', (m: { room: string; text: string }) => m.room === staff && staffGot[i]!.push(m.text)));

  const started = Date.now();
  const answer = await restrict(a.url, alice, ['chat:admin']);
  const elapsed = Date.now() - started;

  expect(answer).toMatchObject({ status: 200, body: { affected: 3 } });
  for (const left of await Promise.all(leaves)) expect(left).toEqual({ room: staff, code: 'AUTH_FORBIDDEN', action: 'none' });
  // After the 200: a message to the staff room, then one to general, from B. Each node relays B's messages in
  // order, so a socket that got the second one would have got the first before it.
  const markers = sockets.map((socket) => within(nextEvent<{ text: string }>(socket, 'chat:message'), 'the general marker', WAIT_MS));
  await ask(witness, 'chat:send', { room: staff, text: 'staff only' });
  await ask(sockets[1]!, 'chat:send', { room: general, text: 'marker' });
  for (const marker of await Promise.all(markers)) expect(marker.text).toBe('marker');
  expect(staffGot).toEqual([[], [], []]);

  // Every node withholds it from a new handshake, and gives it back once lifted.
  for (const node of [b, c]) {
    const fresh = await as(node.url, alice, 'chat:read chat:write chat:admin');
    expect((await ask(fresh, 'whoami')).permissions.sort()).toEqual(['chat:read', 'chat:write']);
  }
  expect(await restrict(b.url, alice, [])).toMatchObject({ status: 200, body: { affected: 5 } });
  for (const socket of sockets) expect((await ask(socket, 'whoami')).permissions.sort()).toEqual(['chat:admin', 'chat:read', 'chat:write']);
  console.info(`rooms cluster: POST /admin/restrict across 3 processes answered in ${elapsed} ms`);
}, 60_000);
