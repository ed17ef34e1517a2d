/**
 * DEMO-CONTRACT "Rooms follow current authorization", black-box against every demo (child processes, HTTP and
 * socket.io-client only): staff rooms, evictions after an in-band re-auth and after `POST /admin/restrict`, and
 * the races around them. "Receives nothing sent to the room after the eviction" is checked with a marker: the
 * members that stay get a later message; the evicted socket, which saw everything before, must not see it.
 */
import { closeAll } from '@sockauth/testing';
import { nextEvent, type ClientSocket } from '../support/clients';
import { adminToken, ask, connectWith, mint, nowSec, post, uniqueRoom, uniqueUser } from './helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, type RunningServer } from './servers';

const FORBIDDEN = { error: { code: 'AUTH_FORBIDDEN', action: 'none', message: expect.any(String) } };
const ROOM_LEFT = 'auth:room-left';

/** A staff room no other test uses. */
function staffRoom(): string {
  return `staff-${uniqueRoom()}`;
}

/** Everything of `event` a socket receives from now on. */
function collect<T = any>(socket: ClientSocket, event: string): T[] {
  const seen: T[] = [];
  socket.on(event, (payload: T) => seen.push(payload));
  return seen;
}

describe.each(contractServers)('$name: rooms follow current authorization', (server) => {
  let main: RunningServer;

  beforeAll(async () => {
    main = await server.start({});
  }, SERVER_HOOK_TIMEOUT_MS);

  afterEach(closeAll);

  afterAll(async () => {
    await main?.stop();
  });

  /** A socket of `user` (fresh by default) with the scopes given, minted by the operator. */
  async function as(scope: string, user = uniqueUser()): Promise<{ user: string; socket: ClientSocket }> {
    return { user, socket: await connectWith(main.url, await mint({ sub: user, scope })) };
  }

  /** Sends `text` to `room` from a member `sender` and resolves once `sender` itself got it back. */
  async function broadcast(sender: ClientSocket, room: string, text: string): Promise<void> {
    const echoed = new Promise<void>((resolve) => {
      const onMessage = (message: { room: string; text: string }): void => {
        if (message.room !== room || message.text !== text) return;
        sender.off('chat:message', onMessage);
        resolve();
      };
      sender.on('chat:message', onMessage);
    });
    expect(await ask(sender, 'chat:send', { room, text })).toEqual({ ok: true, id: expect.any(String) });
    await echoed;
  }

  async function restrict(subject: string, deny: string[]): Promise<{ status: number; body: any }> {
    return post(main.url, '/admin/restrict', { subject, deny }, { authorization: `Bearer ${await adminToken()}` });
  }

  /** A staff member who stays in `room`, to send and to observe what the room receives. */
  async function staffWitness(room: string): Promise<ClientSocket> {
    const { socket } = await as('chat:read chat:write chat:admin');
    expect(await ask(socket, 'chat:join', { room })).toEqual({ ok: true });
    return socket;
  }

  describe('chat:join', () => {
    it('a staff- room needs chat:admin as well: refused AUTH_FORBIDDEN, the socket stays and is not in the room', async () => {
      const room = staffRoom();
      const { socket } = await as('chat:read chat:write');
      const got = collect(socket, 'chat:message');
      expect(await ask(socket, 'chat:join', { room })).toEqual(FORBIDDEN);
      expect(socket.connected).toBe(true);
      const witness = await staffWitness(room);
      await broadcast(witness, room, 'staff only');
      // The refused socket's own room still works, so it is connected and had the chance to receive.
      const own = uniqueRoom();
      await ask(socket, 'chat:join', { room: own });
      await broadcast(socket, own, 'mine');
      expect(got.map((m) => m.text)).toEqual(['mine']);
    });

    it('with chat:read and chat:admin a staff- room is joined', async () => {
      const { socket } = await as('chat:read chat:admin');
      expect(await ask(socket, 'chat:join', { room: staffRoom() })).toEqual({ ok: true });
    });

    it('room names match exactly: only names starting with the five characters staff- are staff rooms', async () => {
      const { socket } = await as('chat:read');
      for (const room of ['Staff-ops', 'STAFF-ops', 'staff', 'staffops', 'xstaff-ops', 'staff_ops', ' staff-ops']) {
        expect([room, await ask(socket, 'chat:join', { room })]).toEqual([room, { ok: true }]);
      }
      for (const room of ['staff-', 'staff-ops', 'staff-Ops', 'staff-ops:x']) {
        expect([room, await ask(socket, 'chat:join', { room })]).toEqual([room, FORBIDDEN]);
      }
    });

    it('without chat:read nothing is joined, staff- or not', async () => {
      const { socket } = await as('chat:write chat:admin');
      expect(await ask(socket, 'chat:join', { room: uniqueRoom() })).toEqual(FORBIDDEN);
      expect(await ask(socket, 'chat:join', { room: staffRoom() })).toEqual(FORBIDDEN);
    });
  });

  describe('after an in-band re-auth', () => {
    it('a downgrade leaves the rooms no longer allowed, auth:room-left before the ack, nothing from them after; other rooms stay', async () => {
      const user = uniqueUser();
      const { socket } = await as('chat:read chat:write chat:admin', user);
      const [staff, general] = [staffRoom(), uniqueRoom()];
      expect(await ask(socket, 'chat:join', { room: staff })).toEqual({ ok: true });
      expect(await ask(socket, 'chat:join', { room: general })).toEqual({ ok: true });
      const witness = await staffWitness(staff);
      const got = collect(socket, 'chat:message');
      await broadcast(witness, staff, 'before');
      const left = collect(socket, ROOM_LEFT);

      const ack = await ask(socket, 'auth:refresh', { token: await mint({ sub: user, scope: 'chat:read chat:write' }) });

      expect(ack).toEqual({ ok: true, expiresAt: expect.any(Number), version: 2 });
      // Sent before the ack, and Socket.IO keeps a socket's packets in order.
      expect(left).toEqual([{ room: staff, code: 'AUTH_FORBIDDEN', action: 'none' }]);
      await broadcast(witness, staff, 'after');
      await broadcast(socket, general, 'still here');
      // 'before' was sent while the socket could read the room (it may arrive just before or after the re-auth).
      expect(got.map((m) => `${m.room === staff ? 'staff' : 'general'}:${m.text}`)).toEqual(['staff:before', 'general:still here']);
      expect((await ask(socket, 'whoami')).permissions.sort()).toEqual(['chat:read', 'chat:write']);
    });

    it('losing chat:read leaves every room', async () => {
      const user = uniqueUser();
      const { socket } = await as('chat:read chat:write', user);
      const rooms = [uniqueRoom(), uniqueRoom()];
      for (const room of rooms) await ask(socket, 'chat:join', { room });
      const left = collect(socket, ROOM_LEFT);
      await ask(socket, 'auth:refresh', { token: await mint({ sub: user, scope: 'chat:write' }) });
      expect(left.map((l) => l.room).sort()).toEqual([...rooms].sort());
      expect(left.every((l) => l.code === 'AUTH_FORBIDDEN' && l.action === 'none')).toBe(true);
      expect(socket.connected).toBe(true);
    });

    it('a re-auth that keeps the permissions leaves nothing', async () => {
      const user = uniqueUser();
      const { socket } = await as('chat:read chat:admin', user);
      await ask(socket, 'chat:join', { room: staffRoom() });
      const left = collect(socket, ROOM_LEFT);
      expect(await ask(socket, 'auth:refresh', { token: await mint({ sub: user, scope: 'chat:read chat:admin' }) })).toMatchObject({ ok: true });
      await ask(socket, 'whoami');
      expect(left).toEqual([]);
    });

    it('a broadcast in flight while a re-auth downgrades: nothing sent to the room after the ack reaches the socket', async () => {
      const user = uniqueUser();
      const { socket } = await as('chat:read chat:write chat:admin', user);
      const room = staffRoom();
      await ask(socket, 'chat:join', { room });
      const witness = await staffWitness(room);
      const got = collect<{ text: string }>(socket, 'chat:message');
      const seenByWitness = collect<{ text: string }>(witness, 'chat:message');
      const downgrade = await mint({ sub: user, scope: 'chat:read chat:write' });

      // A stream of messages into the room, with the re-auth sent in the middle of it.
      const sends = Array.from({ length: 40 }, (_, i) => ask(witness, 'chat:send', { room, text: `m${i}` }));
      const reauth = ask(socket, 'auth:refresh', { token: downgrade });
      await Promise.all(sends);
      const ack = await reauth;
      expect(ack).toMatchObject({ ok: true });
      await broadcast(witness, room, 'marker');
      // A round trip on the socket's own connection: a copy of the marker, had it been sent, would come first.
      await ask(socket, 'whoami');
      // What the socket got is a prefix of the room's stream: it stopped once and never resumed.
      const stream = seenByWitness.map((m) => m.text);
      const texts = got.map((m) => m.text);
      expect(stream.slice(0, texts.length)).toEqual(texts);
      expect(texts).not.toContain('marker');
    });

    it('a re-auth that restores a permission does not rejoin: the app (the client) joins again', async () => {
      const user = uniqueUser();
      // Each token issued a second after the one before: a token of the same second may not grant more (AUTH_STALE).
      const iat = nowSec() - 3;
      const socket = await connectWith(main.url, await mint({ sub: user, scope: 'chat:read chat:write chat:admin' }, { iat }));
      const room = staffRoom();
      await ask(socket, 'chat:join', { room });
      const left = nextEvent(socket, ROOM_LEFT);
      await ask(socket, 'auth:refresh', { token: await mint({ sub: user, scope: 'chat:read chat:write' }, { iat: iat + 1 }) });
      await left;
      const restore = await mint({ sub: user, scope: 'chat:read chat:write chat:admin' }, { iat: iat + 2 });
      expect(await ask(socket, 'auth:refresh', { token: restore })).toMatchObject({
        ok: true,
        version: 3,
      });
      const witness = await staffWitness(room);
      const got = collect(socket, 'chat:message');
      await broadcast(witness, room, 'not rejoined');
      expect(got).toEqual([]);
      expect(await ask(socket, 'chat:join', { room })).toEqual({ ok: true });
      // Its own copy: anything sent to the room earlier would have reached it first.
      const rejoined = nextEvent(socket, 'chat:message');
      await broadcast(witness, room, 'rejoined');
      await rejoined;
      expect(got.map((m) => m.text)).toEqual(['rejoined']);
    });
  });

  describe('POST /admin/restrict', () => {
    it('answers 401 without a valid token, 403 without chat:admin, 400 to a malformed body', async () => {
      const body = { subject: 'alice', deny: ['chat:read'] };
      expect((await post(main.url, '/admin/restrict', body)).status).toBe(401);
      expect((await post(main.url, '/admin/restrict', body, { authorization: 'Bearer not-a-jwt' })).status).toBe(401);
      const user = await mint({ sub: uniqueUser(), scope: 'chat:read chat:write' });
      const forbidden = await post(main.url, '/admin/restrict', body, { authorization: `Bearer ${user}` });
      expect([forbidden.status, forbidden.body.error.code]).toEqual([403, 'AUTH_FORBIDDEN']);
      const admin = { authorization: `Bearer ${await adminToken()}` };
      for (const bad of [{}, { subject: 'alice' }, { deny: [] }, { subject: 1, deny: [] }, { subject: 'alice', deny: 'chat:read' }, { subject: 'alice', deny: [1] }, 'not json', []]) {
        const answer = await post(main.url, '/admin/restrict', bad, admin);
        expect([JSON.stringify(bad), answer.status, answer.body?.error?.code]).toEqual([JSON.stringify(bad), 400, 'BAD_REQUEST']);
      }
    });

    it('evicts the subject’s live sockets from rooms that need a denied permission, answers { affected }, and counts every socket re-evaluated', async () => {
      const user = uniqueUser();
      const [one, two, other] = [await as('chat:read chat:write chat:admin', user), await as('chat:read chat:write', user), await as('chat:read chat:write chat:admin')];
      const [staff, general] = [staffRoom(), uniqueRoom()];
      await ask(one.socket, 'chat:join', { room: staff });
      await ask(one.socket, 'chat:join', { room: general });
      await ask(two.socket, 'chat:join', { room: general });
      await ask(other.socket, 'chat:join', { room: staff });
      const leftOne = collect(one.socket, ROOM_LEFT);
      const leftTwo = collect(two.socket, ROOM_LEFT);
      const leftOther = collect(other.socket, ROOM_LEFT);
      const gotOne = collect(one.socket, 'chat:message');

      const answer = await restrict(user, ['chat:admin']);

      expect(answer).toMatchObject({ status: 200, body: { affected: 2 } });
      expect(leftOne).toEqual([{ room: staff, code: 'AUTH_FORBIDDEN', action: 'none' }]);
      await broadcast(other.socket, staff, 'after restriction');
      // One's own copy of a later message: the staff one would have reached it first.
      const generalCopy = nextEvent(one.socket, 'chat:message');
      await broadcast(two.socket, general, 'general stays');
      await generalCopy;
      expect(gotOne.map((m) => m.text)).toEqual(['general stays']);
      expect(leftTwo).toEqual([]);
      expect(leftOther).toEqual([]);
      expect(one.socket.connected && two.socket.connected).toBe(true);
    });

    it('withholds the permissions from events, whoami, re-auths and new handshakes until lifted; a later one replaces it', async () => {
      const user = uniqueUser();
      const { socket } = await as('chat:read chat:write', user);
      expect(await restrict(user, ['chat:write'])).toMatchObject({ status: 200, body: { affected: 1 } });
      expect((await ask(socket, 'whoami')).permissions).toEqual(['chat:read']);
      expect(await ask(socket, 'chat:send', { room: uniqueRoom(), text: 'x' })).toEqual(FORBIDDEN);
      await ask(socket, 'auth:refresh', { token: await mint({ sub: user, scope: 'chat:read chat:write' }) });
      expect((await ask(socket, 'whoami')).permissions).toEqual(['chat:read']);
      const fresh = await connectWith(main.url, await mint({ sub: user, scope: 'chat:read chat:write' }));
      expect((await ask(fresh, 'whoami')).permissions).toEqual(['chat:read']);

      // Replaced: now chat:read is denied and chat:write is back.
      expect(await restrict(user, ['chat:read'])).toMatchObject({ status: 200, body: { affected: 2 } });
      expect((await ask(socket, 'whoami')).permissions).toEqual(['chat:write']);
      expect(await ask(socket, 'chat:join', { room: uniqueRoom() })).toEqual(FORBIDDEN);

      expect(await restrict(user, [])).toMatchObject({ status: 200, body: { affected: 2 } });
      expect((await ask(socket, 'whoami')).permissions.sort()).toEqual(['chat:read', 'chat:write']);
    });

    it('answers { affected: 0 } when the subject has no live socket', async () => {
      expect(await restrict(uniqueUser(), ['chat:read'])).toMatchObject({ status: 200, body: { affected: 0 } });
    });

    it('a join racing a restriction: after the 200, the socket is not in the room whatever the order', async () => {
      for (let round = 0; round < 5; round++) {
        const user = uniqueUser();
        const { socket } = await as('chat:read chat:write', user);
        const room = uniqueRoom();
        const witness = (await as('chat:read chat:write')).socket;
        await ask(witness, 'chat:join', { room });
        const got = collect(socket, 'chat:message');
        const [join, answer] = await Promise.all([ask(socket, 'chat:join', { room }), restrict(user, ['chat:read'])]);
        expect(answer.status).toBe(200);
        // Either the join was refused, or it was allowed first and then evicted.
        expect([{ ok: true }, FORBIDDEN]).toContainEqual(join);
        await broadcast(witness, room, 'after');
        expect(got).toEqual([]);
      }
    });
  });
});
