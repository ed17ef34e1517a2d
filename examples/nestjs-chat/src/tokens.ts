/**
 * Injection tokens of the example. The app runs under tsx (esbuild), which emits no decorator metadata, so every
 * constructor dependency names its token explicitly with `@Inject(...)`.
 */

/** The resolved `ChatConfig` (from the demos' shared environment parsing). */
export const CHAT_CONFIG = Symbol('CHAT_CONFIG');
/** The demo identity provider (`POST /auth/login`, `/auth/refresh`). */
export const IDENTITY_PROVIDER = Symbol('IDENTITY_PROVIDER');
/** Recently seen `chat:send` ids, for idempotent re-sends. */
export const RECENT_IDS = Symbol('RECENT_IDS');
/** The browser page (`DemoPage`: `GET /` and its script, `GET /app.js`). */
export const DEMO_PAGE = Symbol('DEMO_PAGE');
/** The prom-client registry of sockauth's metrics (`GET /metrics`). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');
/** The `RestrictionRegistry` of `POST /admin/restrict`, also read by `SockAuthModule`'s `mapClaims`. */
export const RESTRICTIONS = Symbol('RESTRICTIONS');
