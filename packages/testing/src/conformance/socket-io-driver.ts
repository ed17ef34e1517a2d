import { createAuthClient } from '@sockauth/client';
import { authErrorFromPayload, type AuthErrorPayload } from '@sockauth/core/errors';
import { assertKnownKeys, type KnownKeys } from '@sockauth/core';
import { Manager, io, type Socket } from 'socket.io-client';
import type { ConformanceConnection, ConformanceDriver, ConnectionEnd, EarlyMessageOutcome } from './driver.js';
import { driverConnection } from './driver-connection.js';

/** Options of {@link socketIoDriver}. */
export interface SocketIoDriverOptions {
  /** The Socket.IO path on the server (default `/socket.io`). */
  readonly path?: string;
  /** The namespace under test (default `/`). */
  readonly namespace?: string;
}

const SOCKET_IO_DRIVER_OPTION_KEYS = { path: true, namespace: true } as const satisfies KnownKeys<SocketIoDriverOptions>;

/** Socket.IO packet types (socket.io-parser), written as Engine.IO messages (which add their own `4`). */
const CONNECT = 0;
const EVENT = 2;
const ACK = 3;
const CONNECT_ERROR = 4;

function connection(socket: Socket, handshakeAnswer: string): ConformanceConnection {
  let lastError: AuthErrorPayload | undefined;
  socket.on('auth:error', (payload: AuthErrorPayload) => (lastError = payload));
  return driverConnection(socket, {
    handshakeAnswer,
    request({ event, payload }, timeoutMs) {
      // No payload means no argument at all (not a `null`): the handler's first argument is then its ack.
      const args = payload === undefined ? [] : [payload];
      return socket.timeout(timeoutMs).emitWithAck(event, ...args);
    },
    ended: (closedByUs) =>
      new Promise<ConnectionEnd>((resolve) => {
        socket.once('disconnect', (reason: string) =>
          resolve({ error: lastError, reason, at: Date.now(), byServer: !closedByUs() && reason !== 'io client disconnect' }),
        );
      }),
  });
}

/**
 * The Socket.IO wire for the conformance suite: `socket.io-client` connections (WebSocket transport, token in
 * `auth.token`), raw Engine.IO packets for the message sent before the handshake is answered, and a
 * `@sockauth/client` on `socket.io-client`.
 *
 * @example
 * ```ts
 * describeConformance({ driver: socketIoDriver({ namespace: '/chat' }), ...options });
 * ```
 */
export function socketIoDriver(options: SocketIoDriverOptions = {}): ConformanceDriver {
  assertKnownKeys('socketIoDriver options', options, SOCKET_IO_DRIVER_OPTION_KEYS);
  const { path, namespace = '/' } = options;
  if (path !== undefined && (typeof path !== 'string' || !path.startsWith('/'))) {
    throw new TypeError('socketIoDriver: "path" must be a string starting with "/"');
  }
  if (typeof namespace !== 'string' || !namespace.startsWith('/')) {
    throw new TypeError('socketIoDriver: "namespace" must be a string starting with "/"');
  }
  const nsp = namespace === '/' ? '' : namespace;
  const base = { transports: ['websocket'], reconnection: false, forceNew: true, ...(path !== undefined && { path }) };

  return {
    name: 'socket.io',
    connect(url, token, { timeoutMs }) {
      const socket = io(`${url.replace(/\/$/, '')}${nsp}`, { ...base, auth: token === undefined ? {} : { token }, timeout: timeoutMs });
      // The CONNECT packet's data (`{ sid }`): what the server chose to answer the handshake with.
      let answer = '';
      const onPacket = (packet: { type: number; nsp: string; data?: unknown }): void => {
        if (packet.type === CONNECT && packet.nsp === namespace) answer = JSON.stringify(packet.data ?? null);
      };
      socket.io.on('packet', onPacket);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          socket.io.off('packet', onPacket);
          socket.close();
          reject(new Error(`no answer to the handshake within ${timeoutMs} ms`));
        }, timeoutMs);
        socket.once('connect', () => {
          clearTimeout(timer);
          socket.off('connect_error');
          socket.io.off('packet', onPacket);
          resolve(connection(socket, answer));
        });
        socket.once('connect_error', (error: Error & { data?: unknown }) => {
          clearTimeout(timer);
          socket.io.off('packet', onPacket);
          socket.close();
          reject(authErrorFromPayload({ ...(error.data as object), message: error.message }) ?? error);
        });
      });
    },
    async sendBeforeHandshake(url, token, { event, payload }, { timeoutMs, quietMs }) {
      const prefix = nsp === '' ? '' : `${nsp},`;
      const eventJson = JSON.stringify([event, ...(payload === undefined ? [] : [payload])]);
      const attempt = (when: 'with-handshake' | 'on-accept'): Promise<EarlyMessageOutcome> => {
        const manager = new Manager(url, { ...base, autoConnect: false });
        return new Promise<EarlyMessageOutcome>((resolve, reject) => {
          const acks: unknown[] = [];
          let handshake: EarlyMessageOutcome['handshake'] | undefined;
          let done = false;
          const finish = (): void => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            manager.engine?.close();
            resolve({ handshake: handshake ?? { accepted: false, code: undefined }, acks });
          };
          const timer = setTimeout(finish, timeoutMs);
          manager.on('packet', (packet: { type: number; nsp: string; id?: number; data?: unknown }) => {
            if (packet.nsp !== namespace) return;
            // An ack carries the handler's arguments: the first is the answer.
            if (packet.type === ACK && packet.id === 0) acks.push(Array.isArray(packet.data) ? packet.data[0] : packet.data);
            if (handshake !== undefined) return;
            if (packet.type === CONNECT) {
              handshake = { accepted: true };
              if (when === 'on-accept') manager.engine.write(`${EVENT}${prefix}0${eventJson}`);
            } else if (packet.type === CONNECT_ERROR) {
              handshake = { accepted: false, code: (packet.data as { data?: { code?: string } } | undefined)?.data?.code };
            } else {
              return;
            }
            // Acks already on their way behind the handshake answer arrive within the quiet period.
            clearTimeout(timer);
            setTimeout(finish, quietMs);
          });
          manager.on('close', () => setTimeout(finish, 0));
          manager.open((error) => {
            if (error) {
              clearTimeout(timer);
              reject(error);
              return;
            }
            manager.engine.write(`${CONNECT}${prefix}${JSON.stringify(token === undefined ? {} : { token })}`);
            if (when === 'with-handshake') manager.engine.write(`${EVENT}${prefix}0${eventJson}`);
          });
        });
      };
      // Right behind the handshake (Socket.IO itself closes a connection that sends to a namespace it has not
      // joined yet), then the moment the server says "connected" (a server that accepts first and verifies the
      // token afterwards handles it).
      const early = await attempt('with-handshake');
      const onAccept = await attempt('on-accept');
      return { handshake: onAccept.handshake, acks: [...early.acks, ...onAccept.acks] };
    },
    createClient(url, clientOptions) {
      return createAuthClient({ ...clientOptions, url: `${url.replace(/\/$/, '')}${nsp}`, io: base });
    },
  };
}
