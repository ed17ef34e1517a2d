import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { combineHooks, prometheusHooks } from '@sockauth/metrics';
import client from 'prom-client';
import { demoAuditTrail } from './audit-log.js';
import { demoAuthOptions, type DemoAuthOptions } from './auth-options.js';
import type { ChatConfig } from './config.js';
import { DemoIdentityProvider } from './identity-provider.js';
import { loadDemoPage, type DemoPage, type PageFlavour } from './page.js';
import { connectRedisMode, type RedisMode } from './redis-mode.js';
import { MemoryRestrictions, type RestrictionRegistry } from './restrictions.js';
import { demoMemoryStore, revocationRetentionSec } from './revocation.js';

/** What every demo server sets up the same way before it creates its adapter (DEMO-CONTRACT). */
export interface DemoServerParts {
  /** The browser page, its script bundled for the server's flavour. */
  readonly page: DemoPage;
  /** REDIS_URL: revocations shared by every node (and the Socket.IO demo's broadcasts); `undefined` without it. */
  readonly redis: RedisMode | undefined;
  /** GET /metrics: sockauth's counters in Prometheus text (a registry of its own, so only what the demo reports). */
  readonly metrics: client.Registry;
  /**
   * POST /admin/restrict: withheld permissions (shared by every node with REDIS_URL), applied by the options'
   * `mapClaims` at every handshake, re-auth and re-evaluation.
   */
  readonly restrictions: RestrictionRegistry;
  /**
   * The adapter's options from the environment: the revocation store, the room policy, the restriction-aware
   * `mapClaims` and the hooks (metrics, AUDIT_LOG).
   */
  readonly authOptions: DemoAuthOptions & { readonly hooks: ReturnType<typeof combineHooks> };
  /** The demo identity provider; a compromised session is revoked through `revokeSession` (the adapter's). */
  identityProvider(revokeSession: (sessionId: string) => Promise<unknown>): DemoIdentityProvider;
}

/**
 * Sets up what every demo server shares: the page, Redis mode (rejects when Redis cannot be reached at start-up),
 * the metrics registry, the options every adapter takes and the identity provider.
 *
 * @example
 * ```ts
 * const parts = await demoServerParts(config, 'websocket');
 * const wsAuth = createWsAuth({ ...parts.authOptions, events: CHAT_EVENTS });
 * const idp = parts.identityProvider((sessionId) => wsAuth.revoke({ sessionId }));
 * ```
 */
export async function demoServerParts(config: ChatConfig, flavour: PageFlavour): Promise<DemoServerParts> {
  // The browser page, its script bundled with esbuild in memory (once per process; a build error fails the start).
  const page = await loadDemoPage(flavour);
  const redis =
    config.redisUrl === undefined ? undefined : await connectRedisMode(config.redisUrl, revocationRetentionSec(config));
  const metrics = new client.Registry();
  const restrictions = redis?.restrictions ?? new MemoryRestrictions();
  const authOptions = {
    ...demoAuthOptions(config, redis?.revocationStore ?? demoMemoryStore(config), restrictions),
    // AUDIT_LOG=1: also an audit record per auth decision, as JSON lines on stderr.
    hooks: combineHooks(prometheusHooks({ client, registry: metrics }), demoAuditTrail(config)),
  };
  const identityProvider = (revokeSession: (sessionId: string) => Promise<unknown>): DemoIdentityProvider =>
    new DemoIdentityProvider({
      secret: config.secret,
      issuer: config.issuer,
      audience: config.audience,
      onSessionCompromised: revokeSession,
    });
  return { page, redis, metrics, restrictions, authOptions, identityProvider };
}

/**
 * Listens on the configured host and port; resolves with the port (the real one for PORT=0), rejects with the
 * listen error (a port in use).
 *
 * @example
 * ```ts
 * const port = await listenDemo(http, config);
 * ```
 */
export function listenDemo(http: Server, config: ChatConfig): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, config.host, () => {
      http.off('error', reject);
      resolve((http.address() as AddressInfo).port);
    });
  });
}
