/**
 * Gateways, controllers and strategies shared by the Nest suites. Constructor dependencies use explicit
 * `@Inject()` so they do not depend on emitted decorator metadata.
 */
import { Controller, ForbiddenException, Get, Inject, Injectable, Req, UnauthorizedException, UseGuards } from '@nestjs/common';
import { AuthGuard, PassportStrategy } from '@nestjs/passport';
import {
  MessageBody,
  SubscribeMessage,
  WebSocketGateway,
  type OnGatewayConnection,
} from '@nestjs/websockets';
import { AuthForbiddenError } from '@sockauth/core';
import {
  AuthUser,
  Public,
  RequireAnyPermission,
  RequirePermissions,
  SockAuthContext,
  SockAuthService,
  WsAuthGuard,
  type AuthContext,
} from '@sockauth/nestjs';
import { ExtractJwt, Strategy } from 'passport-jwt';
import type { Socket } from 'socket.io';
import { AUDIENCE, ISSUER, SECRET } from '../../../test/support/tokens';

/** What `whoami` answers: the context in force, as in the demo contract. */
export function describeContext(ctx: AuthContext | undefined) {
  // Nest sends no ack for a null/undefined result, so "no context" is an object too.
  if (ctx === undefined) return { subject: null };
  return { subject: ctx.subject, permissions: ctx.permissions.toArray(), expiresAt: ctx.expiresAt, version: ctx.version };
}

/** Records which sockets reached `handleConnection` and the subject each had there. */
abstract class RecordingGateway implements OnGatewayConnection {
  readonly connections: { id: string; subject: string | undefined }[] = [];
  constructor(protected readonly sockAuth: SockAuthService) {}
  handleConnection(socket: Socket): void {
    this.connections.push({ id: socket.id, subject: this.sockAuth.contextOf(socket)?.subject });
  }
}

/** Root namespace, no guard: handshake authentication only. */
@WebSocketGateway()
export class LobbyGateway extends RecordingGateway {
  constructor(@Inject(SockAuthService) sockAuth: SockAuthService) {
    super(sockAuth);
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext) {
    return describeContext(ctx);
  }
}

/** A namespaced gateway: protected like the root one. */
@WebSocketGateway({ namespace: '/admin' })
export class AdminGateway extends RecordingGateway {
  constructor(@Inject(SockAuthService) sockAuth: SockAuthService) {
    super(sockAuth);
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext) {
    return describeContext(ctx);
  }
}

/** A public gateway: its namespace skips handshake authentication. */
@Public()
@UseGuards(WsAuthGuard)
@WebSocketGateway({ namespace: 'status' })
export class StatusGateway extends RecordingGateway {
  constructor(@Inject(SockAuthService) sockAuth: SockAuthService) {
    super(sockAuth);
  }

  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext | undefined) {
    return { context: ctx === undefined ? null : ctx.subject };
  }

  @RequirePermissions('status:write')
  @SubscribeMessage('status:set')
  set() {
    return { ok: true };
  }
}

/** Shares `/` with {@link LobbyGateway}: a public and a protected gateway cannot share a namespace. */
@Public()
@WebSocketGateway()
export class PublicRootGateway {
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }
}

/** Guard applied per gateway; a gateway-level requirement with handler-level overrides. */
@UseGuards(WsAuthGuard)
@RequirePermissions('chat:read')
@WebSocketGateway()
export class ChatGateway {
  @SubscribeMessage('history')
  history() {
    return { ok: true, messages: [] };
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@MessageBody() body: { text: string }) {
    return { ok: true, text: body.text };
  }

  @RequireAnyPermission('chat:admin', 'chat:moderator')
  @SubscribeMessage('room:kick')
  kick() {
    return { ok: true };
  }

  @Public()
  @SubscribeMessage('ping')
  ping() {
    return 'pong';
  }

  @RequirePermissions('chat:read')
  @SubscribeMessage('me')
  me(@AuthUser() user: unknown) {
    return user;
  }

  @RequirePermissions('chat:read')
  @SubscribeMessage('me:subject')
  subject(@AuthUser('subject') subject: string) {
    return subject;
  }

  @SubscribeMessage('context')
  context(@SockAuthContext() ctx: AuthContext) {
    return describeContext(ctx);
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext) {
    return describeContext(ctx);
  }

  @SubscribeMessage('refuse')
  refuse() {
    throw new AuthForbiddenError('refused by the handler');
  }

  @SubscribeMessage('crash')
  crash() {
    throw new Error('boom');
  }
}

/** Guard applied per handler only. */
@WebSocketGateway()
export class HandlerGuardedGateway {
  @UseGuards(WsAuthGuard)
  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send() {
    return { ok: true };
  }

  @SubscribeMessage('open')
  open() {
    return { ok: true };
  }
}

/** Permission decorators without any guard of its own: enforced by the module, or by WsAuthGuard as APP_GUARD. */
@WebSocketGateway()
export class GloballyGuardedGateway {
  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send() {
    return { ok: true };
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext) {
    return describeContext(ctx);
  }
}

@Controller('health')
export class HealthController {
  @Get()
  health() {
    return { ok: true };
  }
}

/** What the passport strategy's `validate()` makes of a payload: the application's user. */
export interface AppUser {
  readonly id: string;
  readonly name: string;
  readonly roles: readonly string[];
}

/**
 * An ordinary `@nestjs/passport` JWT strategy, as an application would already have for HTTP. Users whose name
 * starts with `ghost` do not exist (`validate` returns null); `banned` users are refused with an exception;
 * `suspended` users exist but may not connect (a 403: a policy refusal); for `flaky` users the user store fails.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromExtractors([
        ExtractJwt.fromAuthHeaderAsBearerToken(),
        ExtractJwt.fromHeader('x-access-token'),
      ]),
      secretOrKey: SECRET,
      algorithms: ['HS256'],
      issuer: ISSUER,
      audience: AUDIENCE,
    });
  }

  validate(payload: { sub: string; name?: string; scope?: string }): AppUser | null {
    if (payload.sub.startsWith('ghost')) return null;
    if (payload.sub.startsWith('banned')) throw new UnauthorizedException('banned');
    if (payload.sub.startsWith('suspended')) throw new ForbiddenException('account suspended');
    if (payload.sub.startsWith('flaky')) throw new Error('user store unreachable');
    return { id: payload.sub, name: payload.name ?? payload.sub, roles: ['member'] };
  }
}

/** The same user over HTTP, through the same strategy. */
@Controller('profile')
export class ProfileController {
  @UseGuards(AuthGuard('jwt'))
  @Get()
  profile(@Req() request: { user: AppUser }) {
    return request.user;
  }
}

/** A gateway of the passport suite. */
@UseGuards(WsAuthGuard)
@WebSocketGateway()
export class ProfileGateway {
  @SubscribeMessage('me')
  me(@AuthUser() user: AppUser) {
    return user;
  }

  @SubscribeMessage('whoami')
  whoami(@SockAuthContext() ctx: AuthContext) {
    return describeContext(ctx);
  }

  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send() {
    return { ok: true };
  }
}
