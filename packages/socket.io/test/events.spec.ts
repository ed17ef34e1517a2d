/**
 * Per-event permissions over the wire: the declarative map (exact, `prefix*`, all-of, any-of), the `deny`
 * default for unlisted events, `guard()`, the live `authorize` hook and its ordering, the `AUTH_FORBIDDEN`
 * ack, and events sent before the handshake completed.
 */
import { AuthForbiddenError, AuthRevokedError, type AuthContext } from '@sockauth/core';
import { createSockAuth, type EventPermissions } from '@sockauth/socket.io';
import { closeAll, connectAs } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { APP_EVENTS, installApp } from '../../../test/support/app';
import { client, connectOutcome } from '../../../test/support/clients';
import { startServer, type StartServerOptions } from '../../../test/support/servers';
import { mint } from '../../../test/support/tokens';

afterEach(closeAll);

const EVENTS: EventPermissions = {
  whoami: null,
  'chat:send': 'chat:write',
  'chat:both': ['chat:read', 'chat:write'],
  'admin:*': ['chat:admin'],
  'admin:audit': 'audit:read',
  'mod:warn': { anyOf: ['chat:admin', 'chat:mod'] },
};
const HANDLED = [...APP_EVENTS, 'chat:both', 'admin:audit', 'guarded', '42'];

const FORBIDDEN = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };

async function setup(options: StartServerOptions['auth'] = {}) {
  const server = await startServer({ auth: { events: EVENTS, ...options } });
  const log = installApp(server.io, server.auth, { events: HANDLED });
  const as = async (scope: string, sub = 'alice', claims: Record<string, unknown> = {}) =>
    connectAs(server.url, await mint({ sub, scope, ...claims }));
  return { server, log, as };
}

describe('the event map', () => {
  test('an event whose permission is granted is handled, with the context in force', async () => {
    const { log, as } = await setup();
    const socket = await as('chat:write');

    expect(await socket.emitWithAck('chat:send', { text: 'hi' })).toEqual({ ok: true, event: 'chat:send' });
    expect(log.runs).toHaveLength(1);
    expect(log.runs[0]?.context?.subject).toBe('alice');
    expect(log.runs[0]?.args[0]).toEqual({ text: 'hi' });
  });

  test('a refused event with an ack gets exactly { error: { code: AUTH_FORBIDDEN, action: none, message } } and the socket stays', async () => {
    const { log, as } = await setup();
    const socket = await as('chat:read');
    const disconnected = jest.fn();
    socket.on('disconnect', disconnected);

    const ack = await socket.emitWithAck('chat:send', { text: 'hi' });

    expect(ack).toEqual(FORBIDDEN);
    expect(Object.keys(ack.error).sort()).toEqual(['action', 'code', 'message']);
    expect(log.count('chat:send')).toBe(0);
    expect(socket.connected).toBe(true);
    expect((await socket.emitWithAck('whoami')).subject).toBe('alice');
    expect(disconnected).not.toHaveBeenCalled();
  });

  test('a refused event without an ack is dropped silently and later events are still handled', async () => {
    const { log, as } = await setup();
    const socket = await as('chat:read');

    socket.emit('chat:send', { text: 'dropped' });
    // Events of one socket are checked in order, so once whoami is answered the refused one was decided.
    expect((await socket.emitWithAck('whoami')).subject).toBe('alice');

    expect(log.runs.map((run) => run.event)).toEqual(['whoami']);
  });

  test('a prefix pattern (admin:*) guards every event it covers', async () => {
    const { log, as } = await setup();
    const user = await as('chat:read chat:write');
    const admin = await as('chat:admin', 'root');

    expect(await user.emitWithAck('admin:kick', 'bob')).toEqual(FORBIDDEN);
    expect(await user.emitWithAck('admin:ban', 'bob')).toEqual(FORBIDDEN);
    expect(await admin.emitWithAck('admin:kick', 'bob')).toEqual({ ok: true, event: 'admin:kick' });
    expect(await admin.emitWithAck('admin:ban', 'bob')).toEqual({ ok: true, event: 'admin:ban' });
    expect(log.runs.map((run) => `${run.context?.subject}:${run.event}`)).toEqual(['root:admin:kick', 'root:admin:ban']);
  });

  test('an exact entry wins over a matching prefix pattern', async () => {
    const { log, as } = await setup();
    const admin = await as('chat:admin', 'root');
    const auditor = await as('audit:read', 'auditor');

    expect(await admin.emitWithAck('admin:audit')).toEqual(FORBIDDEN);
    expect(await auditor.emitWithAck('admin:audit')).toEqual({ ok: true, event: 'admin:audit' });
    expect(log.runs.map((run) => run.context?.subject)).toEqual(['auditor']);
  });

  test('an array requirement needs all of its permissions', async () => {
    const { log, as } = await setup();
    const half = await as('chat:read');
    const both = await as('chat:read chat:write', 'bob');

    expect(await half.emitWithAck('chat:both')).toEqual(FORBIDDEN);
    expect(await both.emitWithAck('chat:both')).toEqual({ ok: true, event: 'chat:both' });
    expect(log.runs.map((run) => run.context?.subject)).toEqual(['bob']);
  });

  test('an anyOf requirement is met by any one of its permissions', async () => {
    const { log, as } = await setup();
    const mod = await as('chat:mod', 'mod');
    const admin = await as('chat:admin', 'admin');
    const user = await as('chat:read chat:write', 'user');

    expect(await mod.emitWithAck('mod:warn')).toEqual({ ok: true, event: 'mod:warn' });
    expect(await admin.emitWithAck('mod:warn')).toEqual({ ok: true, event: 'mod:warn' });
    expect(await user.emitWithAck('mod:warn')).toEqual(FORBIDDEN);
    expect(log.runs.map((run) => run.context?.subject)).toEqual(['mod', 'admin']);
  });

  test('a granted wildcard permission (chat:*) satisfies the permissions under it', async () => {
    const { log, as } = await setup();
    const socket = await as('chat:*');

    expect(await socket.emitWithAck('chat:send')).toEqual({ ok: true, event: 'chat:send' });
    expect(await socket.emitWithAck('chat:both')).toEqual({ ok: true, event: 'chat:both' });
    expect(await socket.emitWithAck('admin:audit')).toEqual(FORBIDDEN);
    expect(log.count()).toBe(2);
  });

  test('permissions from the permissions claim (array) count like scope', async () => {
    const { as } = await setup();
    const socket = await as('', 'alice', { permissions: ['chat:write'] });

    expect(await socket.emitWithAck('chat:send')).toEqual({ ok: true, event: 'chat:send' });
  });

  test('a non-string event name is refused', async () => {
    const { log, as } = await setup({ unlistedEvents: 'authenticated' });
    const socket = await as('chat:*');

    expect(await socket.emitWithAck(42 as unknown as string)).toEqual(FORBIDDEN);
    expect(log.count('42')).toBe(0);
  });
});

describe('unlisted events', () => {
  test('are refused by default, and their handler never runs', async () => {
    const { log, as } = await setup();
    const socket = await as('chat:* admin:* chat:admin');

    expect(await socket.emitWithAck('unlisted', { x: 1 })).toEqual(FORBIDDEN);
    expect(log.count('unlisted')).toBe(0);
    expect(socket.connected).toBe(true);
  });

  test("are allowed to any authenticated socket with unlistedEvents: 'authenticated', while mapped events stay enforced", async () => {
    const { log, as } = await setup({ unlistedEvents: 'authenticated' });
    const socket = await as('chat:read');

    expect(await socket.emitWithAck('unlisted', { x: 1 })).toEqual({ ok: true, event: 'unlisted' });
    expect(await socket.emitWithAck('chat:send')).toEqual(FORBIDDEN);
    expect(log.runs.map((run) => run.event)).toEqual(['unlisted']);
    expect(log.runs[0]?.context?.subject).toBe('alice');
  });
});

describe('guard(requirement, handler)', () => {
  async function guardedServer(options: StartServerOptions['auth'] = {}) {
    const runs: string[] = [];
    const server = await startServer({ auth: { events: { whoami: null }, ...options } });
    server.io.on('connection', (socket) => {
      socket.on(
        'room:kick',
        server.auth.guard('chat:admin', function kick(target: string, ack: (value: unknown) => void) {
          runs.push(`${server.auth.contextOf(socket)?.subject} kicks ${target}`);
          ack({ ok: true });
        }),
      );
      socket.on(
        'room:pin',
        server.auth.guard({ anyOf: ['chat:mod', 'chat:admin'] }, (ack: (value: unknown) => void) => {
          runs.push(`${server.auth.contextOf(socket)?.subject} pins`);
          ack({ ok: true });
        }),
      );
      // One guarded and one plain listener: the plain one must not be let through by the guard.
      socket.on('room:mixed', server.auth.guard(null, () => runs.push('mixed guarded')));
      socket.on('room:mixed', (ack: (value: unknown) => void) => {
        runs.push('mixed plain');
        ack({ ok: true });
      });
    });
    const as = async (scope: string, sub: string) => connectAs(server.url, await mint({ sub, scope }));
    return { server, runs, as };
  }

  test('an event handled only by guards passes the deny default and runs when the guard is satisfied', async () => {
    const { runs, as } = await guardedServer();
    const admin = await as('chat:admin', 'root');

    expect(await admin.emitWithAck('room:kick', 'bob')).toEqual({ ok: true });
    expect(await admin.emitWithAck('room:pin')).toEqual({ ok: true });
    expect(runs).toEqual(['root kicks bob', 'root pins']);
  });

  test('a guard that is not satisfied acks AUTH_FORBIDDEN and its handler never runs', async () => {
    const { runs, as } = await guardedServer();
    const user = await as('chat:read', 'alice');

    expect(await user.emitWithAck('room:kick', 'bob')).toEqual(FORBIDDEN);
    expect(await user.emitWithAck('room:pin')).toEqual(FORBIDDEN);
    expect(runs).toEqual([]);
    expect(user.connected).toBe(true);
  });

  test('an any-of guard is met by any one permission', async () => {
    const { runs, as } = await guardedServer();
    const mod = await as('chat:mod', 'mod');

    expect(await mod.emitWithAck('room:pin')).toEqual({ ok: true });
    expect(await mod.emitWithAck('room:kick', 'bob')).toEqual(FORBIDDEN);
    expect(runs).toEqual(['mod pins']);
  });

  test('an event with an unguarded listener next to a guard still follows the deny default', async () => {
    const { runs, as } = await guardedServer();
    const admin = await as('chat:admin', 'root');

    expect(await admin.emitWithAck('room:mixed')).toEqual(FORBIDDEN);
    expect(runs).toEqual([]);
  });

  test('a guard consults the live authorize hook too', async () => {
    const actions: string[] = [];
    const { runs, as } = await guardedServer({
      authorize: (context, action) => {
        actions.push(action);
        return context.subject !== 'suspended';
      },
    });
    const root = await as('chat:admin', 'root');
    const suspended = await as('chat:admin', 'suspended');

    expect(await root.emitWithAck('room:kick', 'bob')).toEqual({ ok: true });
    expect(await suspended.emitWithAck('room:kick', 'bob')).toEqual(FORBIDDEN);
    expect(runs).toEqual(['root kicks bob']);
    expect(actions).toEqual(['guard:kick', 'guard:kick']);
  });
});

describe('the live authorize hook', () => {
  test('refuses events once a tenant is disabled at runtime, between two events of the same socket', async () => {
    const disabled = new Set<string>();
    const { log, as } = await setup({ authorize: (context) => !disabled.has(String(context.claims['tenant'])) });
    const socket = await as('chat:write', 'alice', { tenant: 'acme' });

    expect(await socket.emitWithAck('chat:send', 1)).toEqual({ ok: true, event: 'chat:send' });
    disabled.add('acme');
    expect(await socket.emitWithAck('chat:send', 2)).toEqual(FORBIDDEN);
    disabled.delete('acme');
    expect(await socket.emitWithAck('chat:send', 3)).toEqual({ ok: true, event: 'chat:send' });

    expect(log.runs.map((run) => run.args[0])).toEqual([1, 3]);
    expect(socket.connected).toBe(true);
  });

  test('receives the context, the event name and the event arguments without the ack', async () => {
    const calls: { subject: string; action: string; args: unknown }[] = [];
    const { as } = await setup({
      authorize: (context, action, args) => {
        calls.push({ subject: context.subject, action, args });
        return true;
      },
    });
    const socket = await as('chat:write');

    await socket.emitWithAck('chat:send', { text: 'hi' }, 'extra');

    expect(calls).toEqual([{ subject: 'alice', action: 'chat:send', args: [{ text: 'hi' }, 'extra'] }]);
  });

  test('is not asked when the static permission check already refused', async () => {
    const authorize = jest.fn(() => true);
    const { as } = await setup({ authorize });
    const socket = await as('chat:read');

    expect(await socket.emitWithAck('chat:send')).toEqual(FORBIDDEN);
    expect(authorize).not.toHaveBeenCalled();
  });

  test('keeps events in arrival order even when its answers come back out of order', async () => {
    const { log, as } = await setup({
      authorize: async (_context, _action, data) => {
        const n = (data as number[])[0]!;
        // Earlier events take longer: without per-socket ordering they would be handled last.
        await new Promise((resolve) => setTimeout(resolve, (10 - n) * 3));
        return true;
      },
    });
    const socket = await as('chat:write');

    const acks = await Promise.all(Array.from({ length: 10 }, (_, n) => socket.emitWithAck('chat:send', n)));

    expect(acks.every((ack) => ack.ok === true)).toBe(true);
    expect(log.runs.map((run) => run.args[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("an unlisted event allowed by unlistedEvents: 'authenticated' does not overtake a mapped event still being authorized", async () => {
    const { log, as } = await setup({
      unlistedEvents: 'authenticated',
      authorize: async (_context, action) => {
        if (action === 'chat:send') await new Promise((resolve) => setTimeout(resolve, 30));
        return true;
      },
    });
    const socket = await as('chat:write');

    await Promise.all([socket.emitWithAck('chat:send', 'first'), socket.emitWithAck('unlisted', 'second')]);

    expect(log.runs.map((run) => run.event)).toEqual(['chat:send', 'unlisted']);
  });

  test('a refusal by an async hook keeps the order of the events around it', async () => {
    const { log, as } = await setup({
      authorize: async (_context, _action, data) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return (data as number[])[0] !== 2;
      },
    });
    const socket = await as('chat:write');

    const acks = await Promise.all([0, 1, 2, 3].map((n) => socket.emitWithAck('chat:send', n)));

    expect(acks[2]).toEqual(FORBIDDEN);
    expect(log.runs.map((run) => run.args[0])).toEqual([0, 1, 3]);
  });

  test('a hook that throws a plain error refuses with AUTH_UNAVAILABLE (nothing was decided)', async () => {
    const { log, as } = await setup({
      authorize: async () => {
        throw new Error('policy service down');
      },
    });
    const socket = await as('chat:write');

    expect(await socket.emitWithAck('chat:send')).toEqual({
      error: { code: 'AUTH_UNAVAILABLE', action: 'retry', message: expect.any(String) },
    });
    expect(log.count('chat:send')).toBe(0);
    expect(socket.connected).toBe(true);
  });

  test('a hook that throws an AuthError refuses with that code', async () => {
    const { log, as } = await setup({
      authorize: (context) => {
        if (context.subject === 'alice') throw new AuthRevokedError();
        throw new AuthForbiddenError('custom');
      },
    });
    const alice = await as('chat:write', 'alice');
    const bob = await as('chat:write', 'bob');

    expect(await alice.emitWithAck('chat:send')).toEqual({ error: { code: 'AUTH_REVOKED', action: 'login', message: expect.any(String) } });
    expect(await bob.emitWithAck('chat:send')).toEqual(FORBIDDEN);
    expect(log.count()).toBe(0);
  });

  test("is consulted for unlisted events allowed by unlistedEvents: 'authenticated'", async () => {
    const { log, as } = await setup({ unlistedEvents: 'authenticated', authorize: (context) => context.subject !== 'banned' });
    const banned = await as('chat:read', 'banned');
    const fine = await as('chat:read', 'fine');

    expect(await banned.emitWithAck('unlisted')).toEqual(FORBIDDEN);
    expect(await fine.emitWithAck('unlisted')).toEqual({ ok: true, event: 'unlisted' });
    expect(log.runs.map((run) => run.context?.subject)).toEqual(['fine']);
  });
});

describe('eventGate (the hook framework integrations enforce their own rules with)', () => {
  test('sees only events that passed every check, with the context in force, and decides whether they run', async () => {
    const seen: { event: string; subject: string; version: number }[] = [];
    const { log, as } = await setup({
      eventGate: (_socket, event, _args, context) => {
        seen.push({ event, subject: context.subject, version: context.version });
        return event === 'whoami' ? new AuthForbiddenError('gated') : undefined;
      },
    });
    const socket = await as('chat:write');

    expect(await socket.emitWithAck('chat:send', 1)).toEqual({ ok: true, event: 'chat:send' });
    expect(await socket.emitWithAck('whoami')).toEqual(FORBIDDEN);
    // Refused by the event map before the gate: the gate never hears of it.
    expect(await socket.emitWithAck('admin:kick')).toEqual(FORBIDDEN);

    expect(seen).toEqual([
      { event: 'chat:send', subject: 'alice', version: 1 },
      { event: 'whoami', subject: 'alice', version: 1 },
    ]);
    expect(log.runs.map((run) => run.event)).toEqual(['chat:send']);
  });

  test('runs after the live authorize hook, with the context read again after it', async () => {
    const order: string[] = [];
    const { as } = await setup({
      authorize: async () => {
        order.push('authorize');
        return true;
      },
      eventGate: () => {
        order.push('gate');
        return undefined;
      },
    });
    const socket = await as('chat:write');

    expect(await socket.emitWithAck('chat:send')).toEqual({ ok: true, event: 'chat:send' });
    expect(order).toEqual(['authorize', 'gate']);
  });

  test("a refusal is reported like sockauth's own; a later verdict keeps arrival order; a throwing gate fails closed", async () => {
    const failures: { code: string; stage: string; event?: string }[] = [];
    // The gate keeps its own order (as the contract asks): each verdict settles after the previous one.
    let previous: Promise<unknown> = Promise.resolve();
    const { log, as } = await setup({
      hooks: { onAuthFailure: (info) => failures.push({ code: info.code, stage: info.stage, event: info.event }) },
      eventGate: (_socket, event, args) => {
        if (event === 'whoami') throw new Error('gate broke');
        const n = args[0] as number;
        const verdict = previous
          .then(() => new Promise((resolve) => setTimeout(resolve, 5)))
          .then(() => (n === 2 ? new AuthForbiddenError() : undefined));
        previous = verdict;
        return verdict;
      },
    });
    const socket = await as('chat:write');

    const acks = await Promise.all([1, 2, 3].map((n) => socket.emitWithAck('chat:send', n)));
    expect(acks).toEqual([{ ok: true, event: 'chat:send' }, FORBIDDEN, { ok: true, event: 'chat:send' }]);
    expect(log.runs.map((run) => run.args[0])).toEqual([1, 3]);
    expect(await socket.emitWithAck('whoami')).toEqual({ error: { code: 'AUTH_UNAVAILABLE', action: 'retry', message: expect.any(String) } });
    expect(failures).toEqual([
      { code: 'AUTH_FORBIDDEN', stage: 'event', event: 'chat:send' },
      { code: 'AUTH_UNAVAILABLE', stage: 'event', event: 'whoami' },
    ]);
  });

  test('a non-function eventGate is refused at start-up', () => {
    expect(() => createSockAuth({ verifier: { algorithms: ['HS256'], secret: 'x'.repeat(32) }, eventGate: 42 as never })).toThrow(TypeError);
  });
});

describe('events sent in the same tick as connect', () => {
  test('are buffered by the client and handled only after authentication, each with a context', async () => {
    const order: string[] = [];
    const contexts: (AuthContext | undefined)[] = [];
    const server = await startServer({
      auth: { events: { whoami: null, 'chat:send': 'chat:write' } },
      setup: (io, auth) =>
        io.on('connection', (socket: Socket) => {
          order.push('connection');
          socket.on('chat:send', (n: number, ack: (value: unknown) => void) => {
            order.push(`chat:send ${n}`);
            contexts.push(auth.contextOf(socket));
            ack({ ok: true });
          });
        }),
    });
    const socket = client(server.url, { auth: { token: await mint({ sub: 'alice', scope: 'chat:write' }) } });

    // Emitted synchronously, before 'connect': Socket.IO's client buffers them until the handshake is accepted.
    const acks = [1, 2, 3].map((n) => socket.emitWithAck('chat:send', n));
    expect(socket.connected).toBe(false);

    expect(await Promise.all(acks)).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(order).toEqual(['connection', 'chat:send 1', 'chat:send 2', 'chat:send 3']);
    expect(contexts.map((context) => context?.subject)).toEqual(['alice', 'alice', 'alice']);
  });

  test('are refused by the event map like any other event when the permission is missing', async () => {
    const server = await startServer({ auth: { events: { whoami: null, 'chat:send': 'chat:write' } } });
    const log = installApp(server.io, server.auth);
    const socket = client(server.url, { auth: { token: await mint({ sub: 'alice', scope: 'chat:read' }) } });

    const ack = socket.emitWithAck('chat:send', 1);

    expect(await ack).toEqual(FORBIDDEN);
    expect(log.count('chat:send')).toBe(0);
  });

  test('never reach a handler when the handshake is refused', async () => {
    const { server, log } = await setup();
    const socket = client(server.url, { auth: { token: await mint({ sub: 'alice', scope: 'chat:write' }, { exp: 1 }) } });
    socket.emit('chat:send', 'buffered');

    const outcome = await connectOutcome(socket);

    expect(outcome).toEqual({ connected: false, error: expect.objectContaining({ data: { code: 'AUTH_EXPIRED', action: 'refresh' } }) });
    expect(log.count()).toBe(0);
  });
});

describe("the application's own socket middlewares", () => {
  test('keep their order: one added before sockauth wires the socket runs before the check, one added once connected after it', async () => {
    const seen: string[] = [];
    const server = await startServer({
      auth: { events: EVENTS },
      // A namespace middleware that runs before sockauth's and already gives the socket a middleware of its own.
      beforeAttach: (io) =>
        io.use((socket, next) => {
          socket.use((packet, nextPacket) => {
            seen.push(`early:${String(packet[0])}`);
            nextPacket();
          });
          next();
        }),
      setup: (io) =>
        io.on('connection', (socket: Socket) => {
          socket.use((packet, nextPacket) => {
            seen.push(`late:${String(packet[0])}`);
            nextPacket();
          });
          socket.on('chat:send', (_payload: unknown, ack: (value: unknown) => void) => ack({ ok: true }));
        }),
    });
    const reader = await connectAs(server.url, await mint({ sub: 'bob', scope: 'chat:read' }));
    const writer = await connectAs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }));

    expect(await reader.emitWithAck('chat:send', 'refused')).toEqual(FORBIDDEN);
    // The earlier middleware saw the refused event (it runs first); the later one never did.
    expect(seen).toEqual(['early:chat:send']);
    expect(await writer.emitWithAck('chat:send', 'hi')).toEqual({ ok: true });
    expect(seen).toEqual(['early:chat:send', 'early:chat:send', 'late:chat:send']);
  });

  test('a middleware added once connected sees only the events sockauth let through', async () => {
    const seen: string[] = [];
    const server = await startServer({
      auth: { events: EVENTS },
      setup: (io) =>
        io.on('connection', (socket: Socket) => {
          socket.use((packet, nextPacket) => {
            seen.push(String(packet[0]));
            nextPacket();
          });
          socket.on('chat:send', (_payload: unknown, ack: (value: unknown) => void) => ack({ ok: true }));
        }),
    });
    const writer = await connectAs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }));
    const reader = await connectAs(server.url, await mint({ sub: 'bob', scope: 'chat:read' }));

    expect(await writer.emitWithAck('chat:send', 'hi')).toEqual({ ok: true });
    expect(await reader.emitWithAck('chat:send', 'hi')).toEqual(FORBIDDEN);
    expect(seen).toEqual(['chat:send']);
  });
});
