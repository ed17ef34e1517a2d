/**
 * A raw Engine.IO v4 / Socket.IO v5 client over a bare WebSocket, for what socket.io-client will not do: send
 * packets out of order (events before the namespace handshake completes), malformed packets, floods.
 */
import WebSocket from 'ws';
import { closeAfterTest } from '@sockauth/testing';

export interface RawSocket {
  /** Text frames received, in order (Engine.IO packets: `0{...}` open, `40{...}` connect, `42[...]` event, ...). */
  readonly frames: string[];
  /** Sends one Engine.IO packet (e.g. `40{"token":"..."}` or `42["whoami"]`). */
  send(packet: string): void;
  /** Resolves once the server closed the WebSocket (with the close code). */
  readonly closed: Promise<number>;
  close(): void;
}

/** Opens a raw WebSocket to the Socket.IO server at `url` and resolves once the Engine.IO `open` packet arrived. */
export function rawSocket(url: string, path = '/socket.io/'): Promise<RawSocket> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${path}?EIO=4&transport=websocket`);
  const frames: string[] = [];
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  closeAfterTest(() => ws.terminate());
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const text = isBinary ? `<binary ${data.length}>` : data.toString();
      frames.push(text);
      // Engine.IO heartbeat: answer pings so the server never closes us for that.
      if (text === '2') ws.send('3');
      if (text.startsWith('0{')) {
        resolve({
          frames,
          send: (packet) => ws.send(packet),
          closed,
          close: () => ws.close(),
        });
      }
    });
  });
}
