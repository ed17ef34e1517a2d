/**
 * One application, two adapters: the same events, permissions and namespaces served by a plain Socket.IO server
 * with `@sockauth/socket.io` and by a NestJS application (built with @nestjs/testing) with `@sockauth/nestjs`,
 * behind one interface, so a suite can run the same cases against both with `describe.each(ADAPTERS)`.
 *
 * Both serve `/` and `/admin` with `whoami` (authenticated), `chat:send` (`chat:write`) and `admin:kick`
 * (`chat:admin`); every other event is refused. Every handler run and every connection handler run is recorded
 * with the context in force at that moment, so a test can prove that no handler ran.
 */
import 'reflect-metadata';
import { UseGuards } from '@nestjs/common';
import {
  ConnectedSocket,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import type { AuthContext } from '@sockauth/core';
import { RequirePermissions, SockAuthModule, SockAuthService, WsAuthGuard, type SockAuthModuleOptions } from '@sockauth/nestjs';
import type { EventPermissions, SockAuth, SockAuthOptions } from '@sockauth/socket.io';
import type { Namespace, Server, ServerOptions, Socket } from 'socket.io';
import { startNestApp } from './nest';
import { startServer, type TestIo } from './servers';

/** The events of the application and what they need. */
export const ADAPTER_EVENTS: EventPermissions = Object.freeze({
  whoami: null,
  'chat:send': 'chat:write',
  'admin:kick': 'chat:admin',
});
export const ADAPTER_NAMESPACES = ['/', '/admin'] as const;

/** One handler (or connection handler) run, with the context in force when it ran. */
export interface HandlerRun {
  readonly event: string;
  readonly namespace: string;
  readonly socketId: string;
  readonly context: AuthContext | undefined;
  /** The verifier's clock when it ran (ms). */
  readonly at: number;
}

/** The sockauth options both adapters accept (the verifier as options, so both build their own). */
export type AdapterAuthOptions = Omit<SockAuthOptions, 'events' | 'unlistedEvents' | 'authorize' | 'skipNamespaces'>;

export interface AdapterOptions {
  readonly auth: AdapterAuthOptions;
  /** The event map, instead of {@link ADAPTER_EVENTS} (the handlers stay those of `ADAPTER_EVENTS`). */
  readonly events?: EventPermissions;
  /** Socket.IO server options (e.g. `connectionStateRecovery`). */
  readonly io?: Partial<ServerOptions>;
}

export interface AdapterServer {
  readonly kind: 'socket.io' | 'nestjs';
  readonly url: string;
  /** The `@sockauth/socket.io` controller in use (Nest: the one inside `SockAuthService`). */
  readonly sockAuth: SockAuth;
  /** The root Socket.IO server. */
  readonly io: Server;
  /** Every event handler run. */
  readonly runs: HandlerRun[];
  /** Every connection handler run (Nest: `handleConnection`). */
  readonly connections: HandlerRun[];
  /** Emits `event` to the sockets of `namespace` in room `room` (every socket joins it on connection). */
  broadcast(namespace: string, event: string, data: unknown): void;
  close(): Promise<void>;
}

export type AdapterFactory = (options: AdapterOptions) => Promise<AdapterServer>;

function record(list: HandlerRun[], sockAuth: () => SockAuth, event: string, socket: Socket): HandlerRun {
  const auth = sockAuth();
  const run: HandlerRun = {
    event,
    namespace: socket.nsp.name,
    socketId: socket.id,
    context: auth.contextOf(socket),
    at: auth.verifier.now(),
  };
  list.push(run);
  return run;
}

/**
 * What every handler acks: the context it saw (never the claims, so nothing of a token travels back). No `event`
 * member: Nest would take `{ event, data }` for a message to emit instead of an ack.
 */
function ackFor(run: HandlerRun): Record<string, unknown> {
  return {
    ok: true,
    handled: run.event,
    subject: run.context?.subject ?? null,
    version: run.context?.version ?? null,
    expiresAt: run.context?.expiresAt ?? null,
  };
}

/** The Socket.IO server: `@sockauth/socket.io` attached to every namespace, handlers per event name. */
export const startSocketIoAdapter: AdapterFactory = async (options) => {
  const runs: HandlerRun[] = [];
  const connections: HandlerRun[] = [];
  let auth!: SockAuth;
  const server = await startServer({
    io: options.io,
    auth: { ...options.auth, events: options.events ?? ADAPTER_EVENTS, unlistedEvents: 'deny' },
    beforeAttach: (io) => void io.of('/admin'),
    setup: (io: TestIo, sockAuth) => {
      auth = sockAuth;
      for (const name of ADAPTER_NAMESPACES) {
        io.of(name).on('connection', (socket: Socket) => {
          record(connections, () => auth, 'connection', socket);
          void socket.join('room');
          for (const event of Object.keys(ADAPTER_EVENTS)) {
            socket.on(event, (...args: unknown[]) => {
              const run = record(runs, () => auth, event, socket);
              const ack = args[args.length - 1];
              if (typeof ack === 'function') ack(ackFor(run));
            });
          }
        });
      }
    },
  });
  return {
    kind: 'socket.io',
    url: server.url,
    sockAuth: server.auth,
    io: server.io as unknown as Server,
    runs,
    connections,
    broadcast: (namespace, event, data) => void server.io.of(namespace).to('room').emit(event, data),
    close: server.close,
  };
};

/** Handlers shared by both gateways; each subclass is decorated with its namespace at start-up. */
abstract class SecurityGateway implements OnGatewayConnection {
  @WebSocketServer() server!: Server | Namespace;
  protected abstract readonly runs: HandlerRun[];
  protected abstract readonly connections: HandlerRun[];
  protected abstract readonly sockAuth: () => SockAuth;

  handleConnection(socket: Socket): void {
    record(this.connections, this.sockAuth, 'connection', socket);
    void socket.join('room');
  }

  @SubscribeMessage('whoami')
  whoami(@ConnectedSocket() socket: Socket) {
    return ackFor(record(this.runs, this.sockAuth, 'whoami', socket));
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@ConnectedSocket() socket: Socket) {
    return ackFor(record(this.runs, this.sockAuth, 'chat:send', socket));
  }

  @RequirePermissions('chat:admin')
  @SubscribeMessage('admin:kick')
  kick(@ConnectedSocket() socket: Socket) {
    return ackFor(record(this.runs, this.sockAuth, 'admin:kick', socket));
  }
}

/** The NestJS application: `SockAuthModule` with the same options, two guarded gateways. */
export const startNestAdapter: AdapterFactory = async (options) => {
  const runs: HandlerRun[] = [];
  const connections: HandlerRun[] = [];
  let service: SockAuthService | undefined;
  const sockAuth = (): SockAuth => service!.sockAuth;
  const gatewayOptions = { ...(options.io ?? {}) };

  class RootGateway extends SecurityGateway {
    protected readonly runs = runs;
    protected readonly connections = connections;
    protected readonly sockAuth = sockAuth;
  }
  class AdminGateway extends SecurityGateway {
    protected readonly runs = runs;
    protected readonly connections = connections;
    protected readonly sockAuth = sockAuth;
  }
  for (const [gateway, namespace] of [
    [RootGateway, undefined],
    [AdminGateway, '/admin'],
  ] as const) {
    UseGuards(WsAuthGuard)(gateway);
    WebSocketGateway({ ...gatewayOptions, ...(namespace !== undefined && { namespace }) })(gateway);
  }

  const moduleOptions: SockAuthModuleOptions = { ...options.auth, events: options.events ?? ADAPTER_EVENTS, unlistedEvents: 'deny' };
  const started = await startNestApp({
    imports: [SockAuthModule.forRoot(moduleOptions)],
    providers: [RootGateway, AdminGateway],
  });
  const resolved = started.app.get(SockAuthService);
  service = resolved;
  const root = started.app.get(RootGateway).server as Server;
  return {
    kind: 'nestjs',
    url: started.url,
    sockAuth: resolved.sockAuth,
    io: root,
    runs,
    connections,
    broadcast: (namespace, event, data) => void root.of(namespace).to('room').emit(event, data),
    close: started.close,
  };
};

/** Both adapters, for `describe.each(ADAPTERS)('%s', (_name, start) => ...)`. */
export const ADAPTERS: readonly (readonly [string, AdapterFactory])[] = [
  ['socket.io', startSocketIoAdapter],
  ['nestjs', startNestAdapter],
];
