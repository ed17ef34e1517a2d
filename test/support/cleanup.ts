/**
 * Every server and client a test starts is registered here and closed by {@link cleanup}, which each spec
 * runs in `afterEach`. Clients close first so servers see ordinary disconnects, then servers shut down.
 */

type Closer = () => void | Promise<void>;

const clients: Closer[] = [];
const servers: Closer[] = [];

/** Registers a client-side resource (closed first). */
export function trackClient(close: Closer): void {
  clients.push(close);
}

/** Registers a server-side resource (closed after every client). */
export function trackServer(close: Closer): void {
  servers.push(close);
}

/** Closes everything registered since the last call, clients first. Never throws. */
export async function cleanup(): Promise<void> {
  for (const close of clients.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // Already closed.
    }
  }
  for (const close of servers.splice(0).reverse()) {
    try {
      await close();
    } catch {
      // Already closed.
    }
  }
}
