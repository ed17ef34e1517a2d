export { createTestIssuer } from './test-issuer.js';
export type { MintClaims, MintForOptions, TestIssuer, TestIssuerOptions } from './test-issuer.js';
export { serveJwks } from './jwks-server.js';
export type { JwksServer } from './jwks-server.js';
export { authEventsOf, connectAs } from './connect-as.js';
export type { AuthEvents, ClientSocket, ConnectAsOptions, ConnectTarget, TokenPlacement } from './connect-as.js';
export type { WsConnectAsOptions, WsTokenPlacement, WsUrl } from './connect-as-ws.js';
export { WsClientSocket, type RawWebSocket, type WsClose } from './ws-client-socket.js';
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
export { conformanceFlows, defineConformanceSuite } from './conformance/suite.js';
export type { ConformanceFlow, ConformanceRunner, ConformanceSuite } from './conformance/suite.js';
export { socketIoDriver } from './conformance/socket-io-driver.js';
export type { SocketIoDriverOptions } from './conformance/socket-io-driver.js';
export { webSocketDriver } from './conformance/web-socket-driver.js';
export type { WebSocketDriverOptions } from './conformance/web-socket-driver.js';
export type {
  ConformanceClientOptions,
  ConformanceConnection,
  ConformanceDriver,
  ConformanceRequest,
  ConnectionEnd,
  EarlyMessageOutcome,
} from './conformance/driver.js';
export { ConformanceFailure } from './conformance/failure.js';
export type { ConformanceFailureCode } from './conformance/failure.js';
export type { FlowId } from './conformance/flow-ids.js';
export type {
  ConformanceClaims,
  ConformanceOptions,
  ConformanceRevocation,
  ConformanceServer,
  ConformanceSkip,
  ConformanceStartContext,
  ConformanceTimings,
  ObservedEffects,
  PrivilegedEvent,
  RoomRules,
} from './conformance/options.js';
