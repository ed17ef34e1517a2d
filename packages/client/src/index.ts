// The Socket.IO flavour, and everything of the WebSocket entry (public as a whole: @sockauth/client/websocket).
export { AuthClient, createAuthClient } from './auth-client.js';
export type { AuthClientOptions } from './socket-io-options.js';
export * from './websocket.js';
