export { createTestIssuer } from './test-issuer.js';
export type { MintClaims, MintForOptions, TestIssuer, TestIssuerOptions } from './test-issuer.js';
export { serveJwks } from './jwks-server.js';
export type { JwksServer } from './jwks-server.js';
export { authEventsOf, connectAs } from './connect-as.js';
export type { AuthEvents, ClientSocket, ConnectAsOptions, ConnectTarget, TokenPlacement } from './connect-as.js';
export { waitForCut, waitForExpiry } from './expiry.js';
export type { Cut } from './expiry.js';
export { waitForRoomLeft } from './room-left.js';
export type { RoomLeftWaitOptions } from './room-left.js';
export { installMatchers, sockauthMatchers } from './matchers.js';
export type { AuthErrorExpectation, DisconnectExpectation, RoomLeftExpectation, SockauthMatchers } from './matchers.js';
export { closeAfterTest, closeAll } from './auto-close.js';
export { createSockAuthTestingApp } from './nest-testing-app.js';
export type {
  NestAppLike,
  SockAuthTestingApp,
  SockAuthTestingAppOptions,
  TestingModuleMetadata,
  UnstartedSockAuthTestingApp,
} from './nest-testing-app.js';
