import type { JWTPayload } from 'jose';
import {
  AuthForbiddenError,
  AuthSessions,
  MemoryRevocationStore,
  createVerifier,
  defaultMapClaims,
  type AuthContext,
  type AuthError,
  type SessionHooks,
  type SessionOptions,
  type SessionTransport,
} from '../src/index.js';
import { NOW_SEC, SECRET, claims, sign } from './support.js';

/**
 * AuthSessions against an in-memory transport: what every adapter relies on, without any wire. A connection is a
 * plain object; a message is `{ event, args, acks }`; everything the session tells the transport is recorded.
 */
interface Conn {
  readonly id: string;
  open: boolean;
  readonly rooms: Set<string>;
  readonly pushed: { event: string; payload: unknown }[];
  cutWith?: string;
  context?: AuthContext;
  released?: string;
}
interface Message {
  readonly event: unknown;
  readonly args: unknown[];
  readonly acks: unknown[];
}

function transport(): SessionTransport<Conn, Message> {
  return {
    describe: (conn) => ({ socketId: conn.id, namespace: '/mem' }),
    isOpen: (conn) => conn.open,
    send: (conn, event, payload) => void conn.pushed.push({ event, payload }),
    cut: (conn, error) => {
      conn.cutWith = error.code;
      conn.open = false;
    },
    reply: (_conn, message, payload) => void message.acks.push(payload),
    args: (message) => Object.freeze([...message.args]),
    rooms: (conn) => conn.rooms,
    join: (conn, room) => void conn.rooms.add(room),
    leave: (conn, room) => void conn.rooms.delete(room),
    onContext: (conn, context) => {
      conn.context = context;
    },
    onRelease: (conn, _context, reason) => {
      conn.released = reason;
    },
  };
}

let n = 0;
function conn(): Conn {
  return { id: `c${++n}`, open: true, rooms: new Set(), pushed: [] };
}

/** Restrictions behind mapClaims: the live policy `reevaluate` re-applies. */
const denied = new Map<string, readonly string[]>();
const mapClaims = (payload: JWTPayload) => {
  const identity = defaultMapClaims(payload);
  const withheld = denied.get(identity.subject) ?? [];
  return { ...identity, permissions: [...(identity.permissions ?? [])].filter((p) => !withheld.includes(p)) };
};

function sessions(extra: Partial<SessionOptions<Conn>> = {}) {
  const failures: { code: string; stage: string }[] = [];
  const left: { room: string; code: string }[] = [];
  const hooks: SessionHooks = {
    onAuthFailure: ({ code, stage }) => void failures.push({ code, stage }),
    onRoomLeft: ({ room, code }) => void left.push({ room, code }),
  };
  const store = new MemoryRevocationStore();
  const verifier = createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_SEC * 1000 });
  const s = new AuthSessions<Conn, Message>(
    {
      verifier,
      revocationStore: store,
      mapClaims,
      events: { 'chat:send': 'chat:write', whoami: null },
      rooms: { '*': 'chat:read', 'staff-*': ['chat:read', 'chat:admin'] },
      hooks,
      ...extra,
    },
    transport(),
  );
  return { s, failures, left, store };
}

const token = (scope: string, extra: JWTPayload = {}) => sign(claims({ scope, sid: 's1', ...extra }));

function send(s: AuthSessions<Conn, Message>, c: Conn, event: unknown, ...args: unknown[]): { passed: boolean; acks: unknown[] } {
  const message: Message = { event, args, acks: [] };
  const result = { passed: false, acks: message.acks };
  s.check(c, message, event, () => {
    result.passed = true;
  });
  return result;
}

/** Waits (event-loop turns, no fixed sleep) until `acks` has an answer. */
async function answered(acks: unknown[]): Promise<void> {
  const deadline = Date.now() + 5000;
  while (acks.length === 0) {
    if (Date.now() > deadline) throw new Error('no ack');
    await new Promise((resolve) => setImmediate(resolve));
  }
}

afterEach(() => denied.clear());

describe('AuthSessions (transport-agnostic)', () => {
  test('authenticate indexes and hands the context to the transport; refusals are reported and rejected as AuthErrors', async () => {
    const { s, failures } = sessions();
    const c = conn();
    const context = await s.authenticate(c, await token('chat:read'), 'handshake');
    expect(c.context).toBe(context);
    expect(s.size).toBe(1);
    s.start(c);
    expect(s.contextOf(c)?.subject).toBe('alice');
    await expect(s.authenticate(conn(), 'not-a-jwt', 'handshake')).rejects.toMatchObject({ code: 'AUTH_INVALID' });
    expect(failures).toEqual([{ code: 'AUTH_INVALID', stage: 'handshake' }]);
    s.close();
  });

  test('start and release tell onAuthenticated, onRelease and the logger whichever of them is set alone', async () => {
    // The hook payloads and log records are built only when something reads them: each reader still gets its own.
    const records: string[] = [];
    const logger = { debug: (r: object) => void records.push((r as { sockauth: string }).sockauth), info() {}, warn() {}, error() {} };
    const lives: string[] = [];
    const hooks: SessionHooks = {
      onAuthenticated: ({ subject, stage }) => void lives.push(`live ${subject} ${stage}`),
      onRelease: ({ subject, reason }) => void lives.push(`released ${subject} ${reason}`),
    };
    for (const extra of [{ logger }, { hooks }, {}] as Partial<SessionOptions<Conn>>[]) {
      const { s } = sessions(extra);
      const c = conn();
      await s.authenticate(c, await token('chat:read'), 'handshake');
      s.start(c);
      s.release(c, 'disconnect');
      s.close();
    }
    expect(records).toEqual(['authenticated']);
    expect(lives).toEqual(['live alice handshake', 'released alice disconnect']);
  });

  test('events: the map decides, unlisted ones are refused, a refusal is acked deniedAck and never passed', async () => {
    const { s } = sessions();
    const c = conn();
    await s.authenticate(c, await token('chat:read'), 'handshake');
    s.start(c);
    expect(send(s, c, 'whoami').passed).toBe(true);
    const refused = send(s, c, 'chat:send', { text: 'hi' });
    expect(refused.passed).toBe(false);
    expect(refused.acks).toEqual([{ error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } }]);
    expect(send(s, c, 'unlisted').acks).toEqual([{ error: expect.objectContaining({ code: 'AUTH_FORBIDDEN' }) }]);
    expect(send(s, c, 42).acks).toEqual([{ error: expect.objectContaining({ code: 'AUTH_FORBIDDEN' }) }]);
    s.close();
  });

  test('the authorize hook sees the arguments without the ack and keeps arrival order', async () => {
    const seen: unknown[] = [];
    const { s } = sessions({
      authorize: async (_ctx, action, args) => {
        seen.push([action, ...args]);
        await new Promise((resolve) => setTimeout(resolve, action === 'whoami' ? 10 : 0));
        return true;
      },
    });
    const c = conn();
    await s.authenticate(c, await token('chat:write'), 'handshake');
    s.start(c);
    const order: string[] = [];
    for (const event of ['whoami', 'chat:send']) {
      s.check(c, { event, args: [{ n: event }], acks: [] }, event, () => void order.push(event));
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(order).toEqual(['whoami', 'chat:send']);
    expect(seen).toEqual([['whoami', { n: 'whoami' }], ['chat:send', { n: 'chat:send' }]]);
    s.close();
  });

  test('join goes through the room policy; without one every room is refused', async () => {
    const { s, failures } = sessions();
    const c = conn();
    await s.authenticate(c, await token('chat:read'), 'handshake');
    s.start(c);
    await s.join(c, 'general');
    await expect(s.join(c, 'staff-ops')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    await expect(s.join(c, 'Staff-ops')).resolves.toBeUndefined(); // exact match: not a staff room
    expect([...c.rooms]).toEqual(['general', 'Staff-ops']);
    expect(failures).toEqual([{ code: 'AUTH_FORBIDDEN', stage: 'join' }]);
    s.close();

    const bare = new AuthSessions<Conn, Message>(
      { verifier: createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_SEC * 1000 }), revocationStore: new MemoryRevocationStore() },
      transport(),
    );
    const d = conn();
    await bare.authenticate(d, await token('chat:read'), 'handshake');
    await expect(bare.join(d, 'general')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    expect(d.rooms.size).toBe(0);
    bare.close();
  });

  test('a downgrading re-auth leaves the rooms in the same tick as the commit, tells the client, then acks', async () => {
    const { s, left } = sessions();
    const c = conn();
    await s.authenticate(c, await token('chat:read chat:admin', { iat: NOW_SEC - 10 }), 'handshake');
    s.start(c);
    await s.join(c, 'general');
    await s.join(c, 'staff-ops');
    const refresh = send(s, c, 'auth:refresh', { token: await token('chat:read', { iat: NOW_SEC }) });
    await answered(refresh.acks);
    expect([...c.rooms]).toEqual(['general']);
    expect(c.pushed).toEqual([{ event: 'auth:room-left', payload: { room: 'staff-ops', code: 'AUTH_FORBIDDEN', action: 'none' } }]);
    expect(left).toEqual([{ room: 'staff-ops', code: 'AUTH_FORBIDDEN' }]);
    expect(refresh.acks).toEqual([{ ok: true, expiresAt: expect.any(Number), version: 2 }]);
    // sockauth never rejoins: a re-auth restoring chat:admin leaves the socket out of staff-ops.
    await answered(send(s, c, 'auth:refresh', { token: await token('chat:read chat:admin', { iat: NOW_SEC + 1 }) }).acks);
    expect([...c.rooms]).toEqual(['general']);
    s.close();
  });

  test('the live authorize veto evicts too (auth:room-stay), before the refresh ack', async () => {
    const { s } = sessions({ authorize: (_ctx, action, args) => !(action === 'auth:room-stay' && (args[0] as { room: string }).room === 'general') });
    const c = conn();
    await s.authenticate(c, await token('chat:read', { iat: NOW_SEC - 10 }), 'handshake');
    s.start(c);
    await s.join(c, 'general');
    await s.join(c, 'random');
    const refresh = send(s, c, 'auth:refresh', { token: await token('chat:read', { iat: NOW_SEC }) });
    await answered(refresh.acks);
    expect([...c.rooms]).toEqual(['random']);
    expect(refresh.acks).toHaveLength(1);
    s.close();
  });

  test('reevaluate re-runs mapClaims on the claims in force: permissions, rooms and events follow a restriction', async () => {
    const { s, left } = sessions();
    const alice = conn();
    const other = conn();
    await s.authenticate(alice, await token('chat:read chat:write'), 'handshake');
    await s.authenticate(other, await sign(claims({ sub: 'bob', scope: 'chat:read' })), 'handshake');
    s.start(alice);
    s.start(other);
    await s.join(alice, 'general');
    await s.join(other, 'general');
    denied.set('alice', ['chat:read']);
    expect(await s.reevaluate({ subject: 'alice' })).toEqual({ affected: 1 });
    expect([...alice.rooms]).toEqual([]);
    expect([...other.rooms]).toEqual(['general']);
    expect(left).toEqual([{ room: 'general', code: 'AUTH_FORBIDDEN' }]);
    expect([...s.contextOf(alice)!.permissions]).toEqual(['chat:write']);
    expect(s.contextOf(alice)!.version).toBe(1);
    expect(alice.context).toBe(s.contextOf(alice));
    expect(send(s, alice, 'chat:send').passed).toBe(true);
    await expect(s.join(alice, 'general')).rejects.toMatchObject({ code: 'AUTH_FORBIDDEN' });
    s.close();
  });

  describe('reevaluate with many targets', () => {
    /** `count` live connections of subjects `<prefix>0…` (sessions `s<prefix>0…`), each in `general` and `ops`. */
    async function tenant(s: AuthSessions<Conn, Message>, count: number, prefix = 'u'): Promise<Conn[]> {
      const conns = Array.from({ length: count }, conn);
      await Promise.all(conns.map(async (c, i) => s.authenticate(c, await sign(claims({ sub: `${prefix}${i}`, scope: 'chat:read', sid: `s${prefix}${i}` })), 'handshake')));
      for (const c of conns) {
        s.start(c);
        await s.join(c, 'general');
        await s.join(c, 'ops');
      }
      return conns;
    }

    test.each([
      ['one send per connection', false],
      ['sendMany: one call per (room, code) chunk', true],
    ])('every room is left in the call\'s turn; auth:room-left follows in chunks, once per room (%s)', async (_name, many) => {
      const batches: number[] = [];
      const base = transport();
      const withMany: SessionTransport<Conn, Message> = many
        ? { ...base, sendMany: (conns, event, payload) => void (batches.push(conns.length), conns.forEach((c) => c.pushed.push({ event, payload }))) }
        : base;
      const s = new AuthSessions<Conn, Message>(
        { verifier: createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_SEC * 1000 }), revocationStore: new MemoryRevocationStore(), mapClaims, rooms: { '*': 'chat:read' } },
        withMany,
      );
      const conns = await tenant(s, 700);
      const bystander = (await tenant(s, 1, 'other'))[0]!;
      for (let i = 0; i < 700; i++) denied.set(`u${i}`, ['chat:read']);
      const pushes = (): number => conns.reduce((sum, c) => sum + c.pushed.length, 0);

      // Duplicates (the same subject twice, a session of a subject already listed) re-evaluate a connection once.
      const targets = [...conns.map((_, i) => ({ subject: `u${i}` })), { subject: 'u0' }, { sessionId: 'su1' }, { subject: 'nobody' }];
      const nextTurn = new Promise((resolve) => setImmediate(resolve));
      const result = s.reevaluate(targets);
      // With the in-memory store the call itself re-evaluates: every connection is out of both rooms now, and only
      // the first chunk of pushes was written; the next one waits for a turn of the event loop.
      for (const c of conns) expect(c.rooms.size).toBe(0);
      expect(pushes()).toBe(500);
      await nextTurn;
      expect(pushes()).toBe(500);
      conns[699]!.open = false; // closed before it was told: not written to
      expect(await result).toEqual({ affected: 700 });

      for (const c of conns.slice(0, 699)) {
        expect(c.pushed.map(({ payload }) => (payload as { room: string }).room).sort()).toEqual(['general', 'ops']);
        for (const { event, payload } of c.pushed) {
          expect(event).toBe('auth:room-left');
          expect(payload).toMatchObject({ code: 'AUTH_FORBIDDEN', action: 'none' });
        }
      }
      expect(conns[699]!.pushed).toEqual([]);
      expect([...bystander.rooms].sort()).toEqual(['general', 'ops']);
      expect(bystander.pushed).toEqual([]);
      if (many) {
        expect(Math.max(...batches)).toBeLessThanOrEqual(500);
        expect(batches.reduce((sum, n) => sum + n, 0)).toBe(1_398);
      }
      s.close();
    });

    test('with an authorize hook, every static eviction is done before the hook is first asked; its veto still evicts', async () => {
      // The connections still in `general` (which the new context may not be in) each time the hook is asked.
      const inGeneralWhenAsked: number[] = [];
      let conns: Conn[] = [];
      const s = new AuthSessions<Conn, Message>(
        {
          verifier: createVerifier({ algorithms: ['HS256'], secret: SECRET, now: () => NOW_SEC * 1000 }),
          revocationStore: new MemoryRevocationStore(),
          mapClaims,
          rooms: { general: 'chat:read', ops: null },
          authorize: async (ctx, action, args) => {
            if (action !== 'auth:room-stay') return true;
            inGeneralWhenAsked.push(conns.filter((c) => c.rooms.has('general')).length);
            await new Promise((resolve) => setImmediate(resolve));
            return !(ctx.subject === 'u1' && (args[0] as { room: string }).room === 'ops');
          },
        },
        transport(),
      );
      conns = await tenant(s, 50);
      for (let i = 0; i < 50; i++) denied.set(`u${i}`, ['chat:read']);
      expect(await s.reevaluate(conns.map((_, i) => ({ subject: `u${i}` })))).toEqual({ affected: 50 });
      expect(inGeneralWhenAsked).toHaveLength(50);
      expect(Math.max(...inGeneralWhenAsked)).toBe(0);
      expect([...conns[1]!.rooms]).toEqual([]);
      expect(conns[1]!.pushed.map(({ payload }) => payload)).toEqual([
        { room: 'general', code: 'AUTH_FORBIDDEN', action: 'none' },
        { room: 'ops', code: 'AUTH_FORBIDDEN', action: 'none' },
      ]);
      for (const c of [conns[0]!, ...conns.slice(2)]) expect([...c.rooms]).toEqual(['ops']);
      s.close();
    });

    test('each eviction is logged (room-left) with a logger and no onRoomLeft hook, and told to the hook without a logger', async () => {
      const records: Record<string, unknown>[] = [];
      const record = (obj: object) => void records.push(obj as Record<string, unknown>);
      const logged = sessions({ hooks: {}, logger: { debug: () => undefined, info: record, warn: record, error: record } });
      const [c] = await tenant(logged.s, 1);
      denied.set('u0', ['chat:read']);
      await logged.s.reevaluate([{ subject: 'u0' }]);
      expect(records.filter((r) => r['sockauth'] === 'room-left')).toEqual([
        { sockauth: 'room-left', socketId: c!.id, namespace: '/mem', subject: 'u0', room: 'general', code: 'AUTH_FORBIDDEN' },
        { sockauth: 'room-left', socketId: c!.id, namespace: '/mem', subject: 'u0', room: 'ops', code: 'AUTH_FORBIDDEN' },
      ]);
      logged.s.close();

      const hooked = sessions();
      await tenant(hooked.s, 1, 'h');
      denied.set('h0', ['chat:read']);
      await hooked.s.reevaluate([{ subject: 'h0' }]);
      expect(hooked.left).toEqual([
        { room: 'general', code: 'AUTH_FORBIDDEN' },
        { room: 'ops', code: 'AUTH_FORBIDDEN' },
      ]);
      hooked.s.close();
    });

    test('an empty list re-evaluates nothing; a malformed target or too long a list is a TypeError before anything runs', async () => {
      const { s } = sessions();
      const [c] = await tenant(s, 1);
      denied.set('u0', ['chat:read']);
      expect(await s.reevaluate([])).toEqual({ affected: 0 });
      await expect(s.reevaluate([{ subject: 'u0' }, {} as never])).rejects.toThrow(TypeError);
      await expect(s.reevaluate(Array.from({ length: 100_001 }, () => ({ subject: 'u0' })))).rejects.toThrow(TypeError);
      expect([...c!.rooms].sort()).toEqual(['general', 'ops']);
      s.close();
    });
  });

  test('reevaluate cuts a connection the mapper now refuses, with the mapper\'s code', async () => {
    let suspended = false;
    const { s } = sessions({
      mapClaims: (payload: JWTPayload) => {
        if (suspended) throw new AuthForbiddenError('tenant suspended');
        return defaultMapClaims(payload);
      },
    });
    const c = conn();
    await s.authenticate(c, await token('chat:read'), 'handshake');
    s.start(c);
    suspended = true;
    expect(await s.reevaluate({ sessionId: 's1' })).toEqual({ affected: 1 });
    expect(c.cutWith).toBe('AUTH_FORBIDDEN');
    expect(c.released).toBe('forbidden');
    expect(s.size).toBe(0);
    s.close();
  });

  test('a revocation cuts through the index and reports when it was made', async () => {
    const revoked: { kind: string; revokedAt: number }[] = [];
    const { s } = sessions({ hooks: { onRevoke: ({ kind, revokedAt }) => void revoked.push({ kind, revokedAt }) } });
    const c = conn();
    await s.authenticate(c, await token('chat:read'), 'handshake');
    s.start(c);
    const before = Date.now();
    expect(await s.revoke({ sessionId: 's1' })).toEqual({ disconnected: 1 });
    expect(c.cutWith).toBe('AUTH_REVOKED');
    expect(revoked).toEqual([{ kind: 'session', revokedAt: expect.any(Number) }]);
    expect(revoked[0]!.revokedAt).toBeGreaterThanOrEqual(before);
    s.close();
  });

  test('misconfiguration fails closed at construction', () => {
    const base = { verifier: createVerifier({ algorithms: ['HS256'], secret: SECRET }), revocationStore: new MemoryRevocationStore() };
    const t = transport();
    expect(() => new AuthSessions({ ...base, room: {} } as never, t)).toThrow(/rooms/);
    expect(() => new AuthSessions({ ...base, unlistedRooms: 'authenticated' }, t)).toThrow(TypeError);
    expect(() => new AuthSessions({ ...base, rooms: { 'a*b': null } }, t)).toThrow(TypeError);
    expect(() => new AuthSessions({ ...base, rooms: {} }, { ...t, leave: undefined })).toThrow(/rooms/);
    expect(() => new AuthSessions({ ...base, authorize: 'yes' as never }, t)).toThrow(TypeError);
  });
});

export type { AuthError };
