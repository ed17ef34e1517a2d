import { ConformanceFailure } from './failure.js';
import { TIMED_OUT, deniedCode, within, type FlowContext, type FlowUser } from './flow-context.js';
import type { FlowDefinition } from './flow.js';
import type { ConformanceConnection } from './driver.js';
import { isSkip, type ObservedEffects, type ResolvedConformanceOptions } from './options.js';

/** How long an eviction (`auth:room-left`) may take after the context changed. */
const EVICTION_MS = 3_000;

/** Re-authenticates in band with a token that lacks `lost`: the user's role changed at the identity provider. */
async function reauthWithout(context: FlowContext, connection: ConformanceConnection, user: FlowUser, lost: string): Promise<void> {
  const token = await context.token(user, { ttlSec: 60, permissions: context.options.permissions.filter((p) => p !== lost) });
  const ack = await connection.request({ event: 'auth:refresh', payload: { token } }).catch(() => undefined);
  if ((ack as { ok?: unknown } | undefined)?.ok !== true) {
    throw new ConformanceFailure(
      'PRECONDITION',
      `auth:refresh with a newer token of the same user was not acked { ok: true } (ack ${JSON.stringify(ack)})`,
      'accept in-band re-auth (auth:refresh { token } with an ack) as the sockauth wire protocol describes',
    );
  }
}

/** The next privileged event must be refused AUTH_FORBIDDEN, the socket staying. */
async function expectRefused(context: FlowContext, connection: ConformanceConnection, how: string): Promise<void> {
  const { ran, ack } = await context.privileged(connection);
  if (ran) {
    throw new ConformanceFailure(
      'PERMISSION_KEPT',
      `after ${how}, "${context.options.privileged.permission}" was still granted: the event ran (ack ${JSON.stringify(ack)})`,
      'check permissions against the context in force when each event is handled (swap it atomically on re-auth, re-evaluate live sockets on a restriction), never against the one from the handshake',
    );
  }
  if (deniedCode(ack) !== 'AUTH_FORBIDDEN' || !connection.connected) {
    throw new ConformanceFailure(
      'PERMISSION_KEPT',
      `after ${how}, the event was answered ${JSON.stringify(ack)}${connection.connected ? '' : ' and the socket was cut'}, not refused AUTH_FORBIDDEN with the socket kept`,
      'acknowledge a denied event with { error: { code: "AUTH_FORBIDDEN", action: "none" } } and keep the socket',
    );
  }
}

const restrictSkipped = (options: ResolvedConformanceOptions): string | undefined =>
  isSkip(options.restrict) ? options.restrict.skip : undefined;

export const roleLossReauth: FlowDefinition = {
  id: 'role-loss-reauth',
  title: 'role loss: after an in-band re-auth with a token without the permission, the next event that needs it is refused',
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const user = context.user();
    const connection = await context.connect(await context.token(user, { ttlSec: 60 }));
    await context.mustRun(connection);
    await reauthWithout(context, connection, user, context.options.privileged.permission);
    await expectRefused(context, connection, 'a re-auth with a token without it');
  },
};

export const roleLossRestrict: FlowDefinition = {
  id: 'role-loss-restrict',
  title: 'role loss: after the user loses the permission mid-session (restrict), the next event that needs it is refused',
  skipped: restrictSkipped,
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const user = context.user();
    const connection = await context.connect(await context.token(user, { ttlSec: 60 }));
    await context.mustRun(connection);
    await (context.options.restrict as (subject: string, deny: readonly string[]) => Promise<void>)(user.subject, [context.options.privileged.permission]);
    await expectRefused(context, connection, 'restrict() withheld it');
  },
};

export const roomsLeft: FlowDefinition = {
  id: 'rooms-left',
  title: 'role loss: a socket that loses a room\'s permission leaves the room, is told auth:room-left and receives nothing more from it',
  skipped: (options) => (isSkip(options.rooms) ? options.rooms.skip : isSkip(options.observe) ? options.observe.skip : undefined),
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const observe = context.options.observe as ObservedEffects;
    const { permission } = context.options.rooms as { permission: string };
    const room = context.scope;
    const [user, member] = [context.user(), context.user()];
    const evicted = await context.connect(await context.token(user, { ttlSec: 60 }));
    const other = await context.connect(await context.token(member, { ttlSec: 60 }));
    await context.must(evicted, observe.subscribe(room), 'joining the room');
    await context.must(other, observe.subscribe(room), 'joining the room');
    const leftRooms: unknown[] = [];
    const left = new Promise<void>((resolve) =>
      evicted.on('auth:room-left', (payload) => {
        leftRooms.push(payload);
        resolve();
      }),
    );
    const received: unknown[] = [];
    evicted.on(observe.event, (payload) => received.push(observe.keyOf(payload)));

    // The user loses the room's permission: a live restriction when the server has one, else a re-auth without it.
    if (typeof context.options.restrict === 'function') await context.options.restrict(user.subject, [permission]);
    else await reauthWithout(context, evicted, user, permission);
    await within(left, EVICTION_MS);

    // Another member sends to the room; once it saw its own message, a round trip on the evicted socket proves
    // that anything pushed to it before has arrived.
    const key = context.key();
    const seen = new Promise<void>((resolve) => other.on(observe.event, (payload) => observe.keyOf(payload) === key && resolve()));
    await context.must(other, context.options.privileged.request(key, room), 'sending to the room');
    await within(seen, EVICTION_MS);
    await evicted.request(context.options.harmless).catch(() => undefined);
    if (received.includes(key)) {
      throw new ConformanceFailure(
        'ROOM_STILL_DELIVERED',
        `a socket that lost "${permission}" still received what was sent to room "${room}"`,
        'after every context change (re-auth, restriction) re-check the socket\'s rooms and leave the ones it may no longer join',
      );
    }
    const told = leftRooms.find((payload) => (payload as { room?: unknown }).room === room);
    if (told === undefined || (told as { code?: unknown }).code !== 'AUTH_FORBIDDEN') {
      throw new ConformanceFailure(
        'ROOM_NOT_LEFT',
        `the socket was not told auth:room-left { room: "${room}", code: "AUTH_FORBIDDEN" } within ${EVICTION_MS / 1000} s (got ${JSON.stringify(leftRooms)})`,
        'send auth:room-left { room, code: "AUTH_FORBIDDEN", action: "none" } for each room a context change evicts a socket from',
      );
    }
  },
};
