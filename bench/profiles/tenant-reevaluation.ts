/**
 * The synchronous part of a whole tenant's re-evaluation in one process, without sockets: `AuthSessions` with an
 * in-memory transport (a connection is a plain object whose rooms are a Set), the room policies and the live
 * `mapClaims` of `bench/workers/rooms-server.ts`, 10,000 connections of tenant T in `tenant:T:general`. Prints the
 * time of `reevaluate([…all])` until it returns (every connection out of the room: the in-memory store runs the
 * re-evaluation inside the call) and the process's CPU time meanwhile (every thread: JIT compilers, GC helpers).
 * A diagnostic for bench/README.md's "A whole tenant in one call", next to `npm run bench:room-reevaluation` (which
 * has the sockets and the bare Socket.IO baseline): far less noisy, so before/after runs can alternate quickly.
 *
 *   npx tsx --conditions=@sockauth/source bench/profiles/tenant-reevaluation.ts          # JIT-cold: the first call
 *   BENCH_WARM=1 npx tsx --conditions=@sockauth/source bench/profiles/tenant-reevaluation.ts
 *     # tenant W (2,000 connections) re-evaluated first, then T
 */
import { AuthSessions, MemoryRevocationStore, createVerifier, defaultMapClaims, type SessionTransport } from '@sockauth/core';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET, hs256Tokens } from '../lib/tokens.js';

interface Conn {
  readonly id: string;
  open: boolean;
  readonly rooms: Set<string>;
}

const SOCKETS = Number(process.env['BENCH_SOCKETS'] ?? 10_000);
const WARM_SOCKETS = 2_000;
const deniedTenants = new Set<string>();

const transport: SessionTransport<Conn, unknown> = {
  describe: (conn) => ({ socketId: conn.id, namespace: '/' }),
  isOpen: (conn) => conn.open,
  send: () => undefined,
  sendMany: () => undefined,
  cut: (conn) => {
    conn.open = false;
  },
  reply: () => undefined,
  args: () => [],
  rooms: (conn) => [...conn.rooms],
  join: (conn, room) => void conn.rooms.add(room),
  leave: (conn, room) => void conn.rooms.delete(room),
};

const sessions = new AuthSessions<Conn, unknown>(
  {
    verifier: createVerifier({ algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE }),
    revocationStore: new MemoryRevocationStore(),
    rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'], 'tenant:{tenant}:*': 'chat:read' },
    mapClaims: (claims) => {
      const identity = defaultMapClaims(claims);
      const tenant = claims['tenant'];
      if (!(typeof tenant === 'string' && deniedTenants.has(tenant))) return identity;
      return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => p !== 'chat:read') };
    },
  },
  transport,
);

/** `count` live connections of tenant `name` (subjects `<name>-0`…), each in `tenant:<name>:general`. */
async function tenant(name: string, count: number): Promise<Conn[]> {
  const tokens = await hs256Tokens(count, 3600, { tenant: name }, `${name}-`);
  const conns: Conn[] = [];
  for (let i = 0; i < count; i++) {
    const conn: Conn = { id: `${name}${i}`, open: true, rooms: new Set() };
    await sessions.authenticate(conn, tokens[i], 'handshake');
    sessions.start(conn);
    await sessions.join(conn, `tenant:${name}:general`);
    conns.push(conn);
  }
  return conns;
}

const order = process.env['BENCH_WARM'] ? (['W', 'T'] as const) : (['T'] as const);
const tenants = new Map<string, Conn[]>();
for (const name of order) tenants.set(name, await tenant(name, name === 'W' ? WARM_SOCKETS : SOCKETS));
for (const name of order) {
  const conns = tenants.get(name)!;
  deniedTenants.add(name);
  const targets = conns.map((_, i) => ({ subject: `${name}-${i}` }));
  const cpuAtStart = process.cpuUsage();
  const startedAt = performance.now();
  const done = sessions.reevaluate(targets);
  const outMs = performance.now() - startedAt;
  const cpu = process.cpuUsage(cpuAtStart);
  await done;
  if (conns.some((conn) => conn.rooms.size > 0)) throw new Error(`tenant ${name}: a connection is still in its room`);
  console.log(`tenant ${name} (${conns.length}): ${outMs.toFixed(1)} ms to every connection out, CPU ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms`);
}
sessions.close();
