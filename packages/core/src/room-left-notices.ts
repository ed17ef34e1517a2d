import type { AuthError } from './errors.js';
import { ROOM_LEFT_EVENT, roomLeftPayload, type RoomLeftPayload } from './protocol.js';
import { safely } from './session-hooks.js';
import type { SessionTransport } from './session-transport.js';

/**
 * Most `auth:room-left` pushes written in one turn of the event loop. A whole tenant's evictions are thousands of
 * pushes: written in one go they hold the event loop for as long as the writes take (every other connection
 * waits); in chunks of this size, each turn stays short.
 */
export const ROOM_LEFT_CHUNK = 500;

interface Group<H> {
  readonly payload: RoomLeftPayload;
  readonly handles: H[];
}

/**
 * The `auth:room-left` pushes of one re-evaluation of many connections, told after the evictions themselves. The
 * rooms are left at once (synchronously with each context change, by the caller); only the telling is deferred
 * here: grouped by (room, code), so a transport with {@link SessionTransport.sendMany} encodes each distinct push
 * once, and written in chunks of {@link ROOM_LEFT_CHUNK} with a turn of the event loop between them.
 */
export class RoomLeftNotices<H extends object> {
  readonly #transport: SessionTransport<H, unknown>;
  readonly #groups = new Map<string, Group<H>>();
  /** The group of the last {@link add}: a tenant's evictions come in runs of one (room, error). */
  #last: { room: string; error: AuthError; group: Group<H> } | undefined;

  constructor(transport: SessionTransport<H, unknown>) {
    this.#transport = transport;
  }

  /** `handle` left `room` because of `error`: to be told by {@link flush}. */
  add(handle: H, room: string, error: AuthError): void {
    const last = this.#last;
    if (last !== undefined && last.room === room && last.error === error) {
      last.group.handles.push(handle);
      return;
    }
    const key = `${error.code}\u0000${room}`;
    let group = this.#groups.get(key);
    if (group === undefined) this.#groups.set(key, (group = { payload: roomLeftPayload(room, error), handles: [] }));
    group.handles.push(handle);
    this.#last = { room, error, group };
  }

  /**
   * Tells every connection still open: the first chunk in this turn, the next ones each after a turn of the event
   * loop. Resolves when all were handed to the transport; never rejects.
   */
  async flush(): Promise<void> {
    const transport = this.#transport;
    const groups = [...this.#groups.values()];
    this.#groups.clear();
    this.#last = undefined;
    let budget = ROOM_LEFT_CHUNK;
    for (const { payload, handles } of groups) {
      for (let start = 0; start < handles.length; ) {
        if (budget === 0) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          budget = ROOM_LEFT_CHUNK;
        }
        const end = Math.min(handles.length, start + budget);
        // Checked when told: a connection closed meanwhile is not written to.
        const open: H[] = [];
        for (let i = start; i < end; i++) if (transport.isOpen(handles[i]!)) open.push(handles[i]!);
        budget -= end - start;
        start = end;
        if (open.length === 0) continue;
        if (transport.sendMany !== undefined) safely(() => transport.sendMany!(open, ROOM_LEFT_EVENT, payload));
        else for (const handle of open) safely(() => transport.send(handle, ROOM_LEFT_EVENT, payload));
      }
    }
  }
}
