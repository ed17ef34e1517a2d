import type { Namespace, Socket } from 'socket.io';

/**
 * One push to many sockets, encoded once per namespace: a broadcast to the sockets' own-id rooms on this node only
 * (`nsp.local`: the ids are this node's; another node's adapter has nothing to do with them). Only those sockets
 * receive it: with room policies, no socket can join another socket's own-id room (the join guard). Sockets of
 * several namespaces make one broadcast each.
 */
export function emitToSockets(sockets: readonly Socket[], event: string, payload: unknown): void {
  const byNamespace = new Map<Namespace, string[]>();
  for (const socket of sockets) {
    let ids = byNamespace.get(socket.nsp);
    if (ids === undefined) byNamespace.set(socket.nsp, (ids = []));
    ids.push(socket.id);
  }
  for (const [nsp, ids] of byNamespace) nsp.local.to(ids).emit(event, payload);
}
