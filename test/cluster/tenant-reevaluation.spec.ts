/**
 * Re-evaluating every socket of a tenant in one call, over the wire: `auth.reevaluate([{ subject }, …])` with the
 * in-memory store (one node) and with `RedisRevocationStore` (two nodes, one request carrying the list). Every
 * listed socket leaves its rooms at once — nothing sent to them afterwards, even while the `auth:room-left` pushes
 * are still being written in chunks, reaches it — and is told exactly one `auth:room-left` per room; an unlisted
 * socket of the same tenant stays in.
 */
import { MemoryRevocationStore, defaultMapClaims, type RevocationStore } from '@sockauth/core';
import { RedisRevocationStore } from '@sockauth/redis';
import { closeAll, closeAfterTest } from '@sockauth/testing';
import { until, within } from '../support/async';
import { connect, nextEvent, type ClientSocket } from '../support/clients';
import { startRedis, type RedisServer } from '../support/redis';
import { startServer, type TestServer } from '../support/servers';
import { mint } from '../support/tokens';

const WAIT_MS = 20_000;
/** Listed sockets: 2 rooms each makes 600 pushes per node with one node, more than one chunk (500). */
const SOCKETS = 300;
const ROOMS = ['tenant:T:general', 'tenant:T:ops'];

let redis: RedisServer | undefined;
afterEach(closeAll);
afterAll(async () => {
  await redis?.stop();
});

/** A node: rooms per tenant, `chat:read` withheld from the tenants in `denied`; each socket joins both rooms. */
async function node(revocationStore: RevocationStore, denied: Set<string>): Promise<TestServer> {
  const server = await startServer({
    auth: {
      revocationStore,
      rooms: { 'tenant:{tenant}:*': 'chat:read' },
      mapClaims: (claims) => {
        const identity = defaultMapClaims(claims);
        if (!denied.has(String(claims['tenant']))) return identity;
        return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => p !== 'chat:read') };
      },
      // Between the first chunk of pushes and the next: a message to the rooms, after every listed socket left.
      hooks: { onRoomLeft: () => void (late ??= new Promise<void>((resolve) => process.nextTick(() => resolve(sendToRooms(server, 'late'))))) },
    },
    setup: (io, auth) =>
      io.on('connection', (socket) => {
        for (const room of ROOMS) void auth.join(socket, room);
      }),
  });
  let late: Promise<void> | undefined;
  return server;
}

function sendToRooms(server: TestServer, text: string): void {
  server.io.to(ROOMS).emit('chat:message', text);
}

interface Observed {
  readonly socket: ClientSocket;
  readonly left: unknown[];
  readonly messages: string[];
}

async function tenantSocket(server: TestServer, sub: string): Promise<Observed> {
  const socket = await connect(server.url, { auth: { token: await mint({ sub, tenant: 'T', scope: 'chat:read' }) } });
  const observed: Observed = { socket, left: [], messages: [] };
  socket.on('auth:room-left', (payload: unknown) => void observed.left.push(payload));
  socket.on('chat:message', (text: string) => void observed.messages.push(text));
  return observed;
}

async function population(servers: TestServer[]): Promise<{ listed: Observed[]; unlisted: Observed }> {
  const listed: Observed[] = [];
  for (let i = 0; i < SOCKETS; i += 50) {
    listed.push(...(await Promise.all(Array.from({ length: Math.min(50, SOCKETS - i) }, (_, j) => tenantSocket(servers[(i + j) % servers.length]!, `t${i + j}`)))));
  }
  const unlisted = await tenantSocket(servers[0]!, 'not-listed');
  const perNode = servers.map((_, n) => listed.filter((_, i) => i % servers.length === n).length + (n === 0 ? 1 : 0));
  await until(() => servers.every((server, n) => ROOMS.every((room) => server.io.of('/').adapter.rooms.get(room)?.size === perNode[n])), WAIT_MS);
  return { listed, unlisted };
}

async function expectTenantEvicted(servers: TestServer[], reevaluate: (targets: { subject: string }[]) => Promise<{ affected: number }>): Promise<void> {
  const { listed, unlisted } = await population(servers);
  const targets = listed.map((_, i) => ({ subject: `t${i}` }));

  expect(await reevaluate([...targets, { subject: 't0' }])).toEqual({ affected: SOCKETS });

  for (const server of servers) sendToRooms(server, 'after');
  // A marker on every connection: what a socket was sent before it has arrived once it has the marker.
  const markers = [...listed, unlisted].map(({ socket }) => within(nextEvent(socket, 'marker'), 'the marker', WAIT_MS));
  for (const server of servers) server.io.emit('marker');
  await Promise.all(markers);

  for (const { left, messages } of listed) {
    expect(messages).toEqual([]);
    expect(left).toHaveLength(2);
    expect(left).toEqual(expect.arrayContaining(ROOMS.map((room) => ({ room, code: 'AUTH_FORBIDDEN', action: 'none' }))));
  }
  // The messages were sent: the unlisted socket, still in both rooms, got them (once, though in both rooms).
  expect(unlisted.left).toEqual([]);
  expect(unlisted.messages).toEqual(['late', 'after']);
}

it('in-memory store: one call evicts every listed socket at once, tells each once per room', async () => {
  const denied = new Set<string>();
  const server = await node(new MemoryRevocationStore(), denied);
  await expectTenantEvicted([server], async (targets) => {
    denied.add('T');
    return server.auth.reevaluate(targets);
  });
}, 60_000);

it('Redis store, two nodes: one request carries the list; both nodes evict and tell theirs', async () => {
  redis ??= await startRedis();
  const denied = new Set<string>();
  // Both nodes on one prefix.
  const keyPrefix = `{tenant-${process.pid}-${Date.now()}}:`;
  const stores = [0, 1].map(() => {
    const store = new RedisRevocationStore({ url: redis!.url, keyPrefix, healthCheckIntervalMs: 0 });
    closeAfterTest(() => store.close());
    return store;
  });
  const [a, b] = await Promise.all(stores.map(async (store) => (await store.ready(WAIT_MS), node(store, denied))));
  await expectTenantEvicted([a!, b!], async (targets) => {
    denied.add('T');
    return a!.auth.reevaluate(targets);
  });
}, 90_000);
