/**
 * The rooms of a server's connections: `ws` has none, so the adapter keeps its own index, both ways (room →
 * members for broadcasts, member → rooms for the policy's re-evaluation and for forgetting a closed connection).
 */
export class RoomIndex<H> {
  readonly #members = new Map<string, Set<H>>();
  readonly #rooms = new Map<H, Set<string>>();

  /** Adds `handle` to `room` (no-op when it is in it). */
  join(handle: H, room: string): void {
    let members = this.#members.get(room);
    if (members === undefined) this.#members.set(room, (members = new Set()));
    members.add(handle);
    let rooms = this.#rooms.get(handle);
    if (rooms === undefined) this.#rooms.set(handle, (rooms = new Set()));
    rooms.add(room);
  }

  /** Removes `handle` from `room`; once it returns, nothing sent to the room reaches the handle. */
  leave(handle: H, room: string): void {
    const members = this.#members.get(room);
    if (members !== undefined && members.delete(handle) && members.size === 0) this.#members.delete(room);
    const rooms = this.#rooms.get(handle);
    if (rooms !== undefined && rooms.delete(room) && rooms.size === 0) this.#rooms.delete(handle);
  }

  /** Removes `handle` from every room. */
  leaveAll(handle: H): void {
    const rooms = this.#rooms.get(handle);
    if (rooms === undefined) return;
    for (const room of [...rooms]) this.leave(handle, room);
  }

  /** The rooms `handle` is in (a snapshot). */
  roomsOf(handle: H): string[] {
    const rooms = this.#rooms.get(handle);
    return rooms === undefined ? [] : [...rooms];
  }

  /** The members of `room`, live (do not join or leave while iterating: take a copy). */
  membersOf(room: string): ReadonlySet<H> {
    return this.#members.get(room) ?? EMPTY;
  }

  /** How many rooms have members. */
  get size(): number {
    return this.#members.size;
  }
}

const EMPTY: ReadonlySet<never> = new Set();
