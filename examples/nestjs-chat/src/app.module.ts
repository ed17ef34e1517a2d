import { Inject, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { RecentIds } from '@sockauth/example-chat-common/recent-ids';
import { demoAuditTrail } from '@sockauth/example-chat-common/audit-log';
import { demoAuthOptions } from '@sockauth/example-chat-common/auth-options';
import type { ChatConfig } from '@sockauth/example-chat-common/config';
import { DemoIdentityProvider } from '@sockauth/example-chat-common/identity-provider';
import { loadDemoPage } from '@sockauth/example-chat-common/page';
import { demoMemoryStore } from '@sockauth/example-chat-common/revocation';
import type { RevocationStore } from '@sockauth/core';
import { MemoryRestrictions, type RestrictionRegistry } from '@sockauth/example-chat-common/restrictions';
import { combineHooks, prometheusHooks } from '@sockauth/metrics';
import { SockAuthModule, SockAuthService } from '@sockauth/nestjs';
import client from 'prom-client';
import { AdminController } from './admin.controller.js';
import { AuthController } from './auth.controller.js';
import { ChatGateway } from './chat.gateway.js';
import { ApiExceptionFilter } from './api-exception.filter.js';
import { MetricsController } from './metrics.controller.js';
import { PageController } from './page.controller.js';
import { CHAT_CONFIG, DEMO_PAGE, IDENTITY_PROVIDER, METRICS_REGISTRY, RECENT_IDS, RESTRICTIONS } from './tokens.js';

/**
 * The demo chat as a Nest application: `SockAuthModule` (handshake authentication for the gateway, expiry,
 * `auth:refresh`, revocation), the chat gateway, the demo identity endpoints and the page.
 */
@Module({})
export class AppModule implements OnModuleDestroy {
  constructor(@Inject(IDENTITY_PROVIDER) private readonly idp: DemoIdentityProvider) {}

  /**
   * `shared`: the Redis revocation store and restrictions in cluster mode (`REDIS_URL`); default in memory. Either
   * way revocations are kept as long as the demo's longest token (see chat-common's `revocation.ts`).
   */
  static forRoot(
    config: ChatConfig,
    shared?: { readonly revocationStore: RevocationStore; readonly restrictions: RestrictionRegistry },
  ): DynamicModule {
    // POST /admin/restrict: withheld permissions, applied by mapClaims at every handshake, re-auth and re-evaluation.
    const restrictions = shared?.restrictions ?? new MemoryRestrictions();
    // GET /metrics: sockauth's counters in Prometheus text (a registry of its own, so only what the demo reports).
    const metrics = new client.Registry();
    return {
      module: AppModule,
      imports: [
        SockAuthModule.forRoot({
          ...demoAuthOptions(config, shared?.revocationStore ?? demoMemoryStore(config), restrictions),
          // As in the Socket.IO example, an event no handler serves is acked with AUTH_FORBIDDEN.
          unlistedEvents: 'deny',
          // AUDIT_LOG=1: also an audit record per auth decision, as JSON lines on stderr (the chat-common trail).
          hooks: combineHooks(prometheusHooks({ client, registry: metrics }), demoAuditTrail(config)),
        }),
      ],
      controllers: [PageController, AuthController, AdminController, MetricsController],
      providers: [
        { provide: CHAT_CONFIG, useValue: config },
        { provide: RESTRICTIONS, useValue: restrictions },
        { provide: METRICS_REGISTRY, useValue: metrics },
        // The demos' shared browser page (its script bundled in memory by esbuild).
        { provide: DEMO_PAGE, useFactory: () => loadDemoPage() },
        { provide: RECENT_IDS, useFactory: () => new RecentIds() },
        {
          provide: IDENTITY_PROVIDER,
          inject: [SockAuthService],
          useFactory: (sockAuth: SockAuthService) =>
            new DemoIdentityProvider({
              secret: config.secret,
              issuer: config.issuer,
              audience: config.audience,
              // A reused refresh token means a stolen one: the whole session's sockets are cut.
              onSessionCompromised: (sessionId) => sockAuth.revoke({ sessionId }),
            }),
        },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
        ChatGateway,
      ],
    };
  }

  onModuleDestroy(): void {
    this.idp.close();
  }
}
