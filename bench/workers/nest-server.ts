/**
 * A benchmark NestJS server process: one gateway with an acked `echo` handler.
 * - `bare`: a plain Nest gateway (Nest's default IoAdapter, no guard, no sockauth);
 * - `decorated`: the same gateway with SockAuthModule and `@RequirePermissions('chat:read')`, no guard: the module
 *   enforces the decorator in sockauth's per-socket hook;
 * - `guarded`: the decorated gateway with WsAuthGuard as APP_GUARD as well (the guard then decides);
 * - `noop-guard`: the plain gateway with a guard that always returns true: what any Nest guard costs.
 * Reports `{ type: 'ready', port }`.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { RequirePermissions, SockAuthModule, WsAuthGuard } from '@sockauth/nestjs';
import { report } from '../lib/fork.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET } from '../lib/tokens.js';

const mode = process.argv[2] ?? 'bare';

@WebSocketGateway({ transports: ['websocket'] })
class BareGateway {
  @SubscribeMessage('echo')
  echo(@MessageBody() value: unknown) {
    return value;
  }
}

@WebSocketGateway({ transports: ['websocket'] })
class GuardedGateway {
  @RequirePermissions('chat:read')
  @SubscribeMessage('echo')
  echo(@MessageBody() value: unknown) {
    return value;
  }
}

@Module({ providers: [BareGateway] })
class BareModule {}

class AllowAll {
  canActivate(): boolean {
    return true;
  }
}

@Module({ providers: [BareGateway, { provide: APP_GUARD, useClass: AllowAll }] })
class NoopGuardModule {}

const sockAuthModule = SockAuthModule.forRoot({
  verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
});

@Module({ imports: [sockAuthModule], providers: [GuardedGateway] })
class DecoratedModule {}

@Module({ imports: [sockAuthModule], providers: [GuardedGateway, { provide: APP_GUARD, useClass: WsAuthGuard }] })
class GuardedModule {}

const modules = { bare: BareModule, decorated: DecoratedModule, guarded: GuardedModule, 'noop-guard': NoopGuardModule } as const;
const app = await NestFactory.create(modules[mode as keyof typeof modules] ?? BareModule, { logger: false });
await app.listen(0, '127.0.0.1');
report({ type: 'ready', port: (app.getHttpServer().address() as AddressInfo).port });
process.on('SIGTERM', () => void app.close().finally(() => process.exit(0)));
