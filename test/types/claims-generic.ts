/**
 * Type tests (compiled by `npm run typecheck`, never run): the claims generic reaches every hook and accessor a
 * user touches. Each `@ts-expect-error` fails the type-check if the line it covers stops being an error, so these
 * tests cannot silently pass with `any`.
 */
import { Server } from 'socket.io';
import { AuthInvalidError, defaultMapClaims, type AuthContext, type JWTPayload } from '@sockauth/core';
import { createSockAuth, sockAuth, type SockAuth, type SockAuthOptions } from '@sockauth/socket.io';
import { SockAuthModule, type AuthContext as NestAuthContext } from '@sockauth/nestjs';

interface AppClaims extends JWTPayload {
  readonly tenant: string;
  readonly roles?: readonly string[];
}

declare const io: Server;
declare const verifier: SockAuthOptions['verifier'];

// TClaims is inferred from mapClaims' parameter and flows into authorize, eventGate and onContextChange.
const auth = sockAuth(io, {
  verifier,
  mapClaims: (claims: AppClaims) => {
    if (typeof claims.tenant !== 'string') throw new AuthInvalidError('no tenant');
    return defaultMapClaims(claims);
  },
  authorize: (context) => {
    const tenant: string = context.claims.tenant;
    // @ts-expect-error tenant is a string, not a number
    const wrong: number = context.claims.tenant;
    void wrong;
    return tenant !== 'disabled';
  },
  eventGate: (_socket, _event, _packet, context) => {
    const roles: readonly string[] | undefined = context.claims.roles;
    void roles;
    return undefined;
  },
  onContextChange: (_socket, { previous, current }) => {
    const same: boolean = previous.claims.tenant === current.claims.tenant;
    void same;
  },
});

const typedAuth: SockAuth<AppClaims> = auth;
io.on('connection', (socket) => {
  const context = typedAuth.contextOf(socket);
  // @ts-expect-error contextOf may answer undefined (not authenticated, expired, revoked)
  void context.subject;
  const tenant: string | undefined = context?.claims.tenant;
  void tenant;
  // @ts-expect-error claims are read-only
  if (context !== undefined) context.claims.tenant = 'other';
});

// Without a generic everything stays as before: claims are jose's JWTPayload (custom claims are unknown).
const plain = createSockAuth({ verifier });
const plainContext = plain.contextOf(undefined as never);
// @ts-expect-error a custom claim is unknown without a claims type
const untyped: string | undefined = plainContext?.claims['tenant'];
void untyped;

// A mapper for other claims does not fit an explicitly typed instance.
// @ts-expect-error mapClaims must accept AppClaims
createSockAuth<AppClaims>({ verifier, mapClaims: (claims: { tenant: number } & JWTPayload) => defaultMapClaims(claims) });

// The Nest decorator's type alias takes the same generic.
function nestHandler(context: NestAuthContext<AppClaims>): string {
  const core: AuthContext<AppClaims> = context;
  return core.claims.tenant;
}
void nestHandler;
// ...and it is core's type itself, not a look-alike that shadows it: assignable both ways.
function nestFromCore(context: AuthContext<AppClaims>): NestAuthContext<AppClaims> {
  return context;
}
void nestFromCore;

// Nest: forRoot infers the same generic from mapClaims, and authorize sees the typed claims.
SockAuthModule.forRoot({
  verifier: { algorithms: ['HS256'], secret: 'x'.repeat(32) },
  mapClaims: (claims: AppClaims) => defaultMapClaims(claims),
  authorize: (context) => {
    const tenant: string = context.claims.tenant;
    return tenant !== 'disabled';
  },
});
SockAuthModule.forRootAsync({
  useFactory: () => ({
    verifier: { algorithms: ['HS256'], secret: 'x'.repeat(32) },
    mapClaims: (claims: AppClaims) => defaultMapClaims(claims),
    // @ts-expect-error tenant is a string, not a number
    authorize: (context) => context.claims.tenant === 1,
  }),
});
