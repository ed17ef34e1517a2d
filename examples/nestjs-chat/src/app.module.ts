import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Inject, Module, type DynamicModule, type OnModuleDestroy } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { RecentIds } from '@sockauth/example-socketio-chat/chat-gateway';
import type { ChatConfig } from '@sockauth/example-socketio-chat/config';
import { DemoIdentityProvider } from '@sockauth/example-socketio-chat/identity-provider';
import { SockAuthModule, SockAuthService } from '@sockauth/nestjs';
import { AuthController } from './auth.controller.js';
import { ChatGateway } from './chat.gateway.js';
import { HttpErrorFilter } from './http-error.js';
import { PageController } from './page.controller.js';
import { CHAT_CONFIG, IDENTITY_PROVIDER, INDEX_HTML, RECENT_IDS } from './tokens.js';

/** The browser page of the Socket.IO example, shared as is. */
const INDEX_HTML_PATH = fileURLToPath(import.meta.resolve('@sockauth/example-socketio-chat/public/index.html'));

/**
 * The demo chat as a Nest application: `SockAuthModule` (handshake authentication for the gateway, expiry,
 * `auth:refresh`, revocation), the chat gateway, the demo identity endpoints and the page.
 */
@Module({})
export class AppModule implements OnModuleDestroy {
  constructor(@Inject(IDENTITY_PROVIDER) private readonly idp: DemoIdentityProvider) {}

  static forRoot(config: ChatConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SockAuthModule.forRoot({
          verifier: {
            algorithms: ['HS256'],
            secret: config.secret,
            issuer: config.issuer,
            audience: config.audience,
            clockToleranceSec: config.clockToleranceSec,
          },
          warnBeforeSec: config.warnBeforeSec,
          allowQueryToken: config.allowQueryToken,
          // As in the Socket.IO example, an event no handler serves is acked with AUTH_FORBIDDEN.
          unlistedEvents: 'deny',
        }),
      ],
      controllers: [PageController, AuthController],
      providers: [
        { provide: CHAT_CONFIG, useValue: config },
        { provide: INDEX_HTML, useValue: readFileSync(INDEX_HTML_PATH, 'utf8') },
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
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        ChatGateway,
      ],
    };
  }

  onModuleDestroy(): void {
    this.idp.close();
  }
}
