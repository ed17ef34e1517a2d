import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type DefaultEventsMap, type ServerOptions } from 'socket.io';
import { createSockAuth, type SockAuth, type SockAuthOptions, type SockAuthSocketData } from '@sockauth/socket.io';
import { closeAfterTest } from '@sockauth/testing';
import { hs256Verifier } from './tokens';

/** A Socket.IO server whose `socket.data` is typed with the sockauth context. */
export type TestIo = Server<DefaultEventsMap, DefaultEventsMap, DefaultEventsMap, SockAuthSocketData>;

export interface TestServer {
  readonly io: TestIo;
  readonly auth: SockAuth;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Closes sockauth, Socket.IO and the HTTP server. Idempotent. */
  close(): Promise<void>;
}

export interface StartServerOptions {
  /**
   * sockauth options on top of the defaults: the HS256 test verifier and `events: { whoami: null }` (any
   * authenticated socket may ask who it is; everything else is denied unless a test maps it).
   */
  readonly auth?: Partial<SockAuthOptions>;
  /** Socket.IO server options. */
  readonly io?: Partial<ServerOptions>;
  /** Runs before `auth.attach(io)`, e.g. to create namespaces first. */
  readonly beforeAttach?: (io: TestIo) => void;
  /** Runs after attach and before listening: register connection handlers here. */
  readonly setup?: (io: TestIo, auth: SockAuth) => void;
  /** Set false to create the controller without attaching it. */
  readonly attach?: boolean;
}

/**
 * Starts a real HTTP + Socket.IO server on an ephemeral loopback port with sockauth attached. Closed by
 * the kit's `closeAll()` after each test.
 */
export async function startServer(options: StartServerOptions = {}): Promise<TestServer> {
  const http = createServer();
  const io: TestIo = new Server(http, options.io);
  const auth = createSockAuth({ verifier: hs256Verifier(), events: { whoami: null }, ...options.auth });
  options.beforeAttach?.(io);
  if (options.attach !== false) auth.attach(io);
  options.setup?.(io, auth);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      auth.close();
      await io.close();
    })();
    return closed;
  };
  closeAfterTest(close);
  return { io, auth, url: `http://127.0.0.1:${port}`, port, close };
}
