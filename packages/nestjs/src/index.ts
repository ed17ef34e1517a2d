export { SockAuthModule } from './sockauth.module.js';
export type {
  DelegatedVerifierPolicy,
  SockAuthModuleAsyncOptions,
  SockAuthModuleOptions,
  SockAuthOptionsFactory,
  SockAuthPassportOptions,
} from './sockauth-options.interface.js';
export { SockAuthService } from './sockauth.service.js';
export { SockAuthIoAdapter } from './sockauth-io.adapter.js';
export { WsAuthGuard } from './ws-auth.guard.js';
export { WsAuthExceptionFilter } from './ws-auth-exception.filter.js';
export { RequirePermissions, RequirePermissionsMetadata } from './require-permissions.decorator.js';
export { RequireAnyPermission, RequireAnyPermissionMetadata } from './require-any-permission.decorator.js';
export { Public, PublicMetadata } from './public.decorator.js';
export { JoinRoom, JoinRoomInterceptor, JoinRoomMetadata } from './join-room.decorator.js';
export type { RoomSelector } from './join-room.decorator.js';
export { AuthUser } from './auth-user.decorator.js';
export { SockAuthContext, AuthContext } from './sockauth-context.decorator.js';
export { SOCKAUTH_MODULE_OPTIONS } from './sockauth.constants.js';
