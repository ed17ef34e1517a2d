/**
 * Injection token of the module options (what `forRoot` / `forRootAsync` produce).
 *
 * @example
 * ```ts
 * constructor(@Inject(SOCKAUTH_MODULE_OPTIONS) private readonly options: SockAuthModuleOptions) {}
 * ```
 */
export const SOCKAUTH_MODULE_OPTIONS = Symbol.for('@sockauth/nestjs.options');

/** Metadata key of `@RequirePermissions()` (all of). Fixed, so two copies of this package agree. */
export const REQUIRE_PERMISSIONS_KEY = 'sockauth:require-permissions';
/** Metadata key of `@RequireAnyPermission()` (any of). */
export const REQUIRE_ANY_PERMISSION_KEY = 'sockauth:require-any-permission';
/** Metadata key of `@Public()`. */
export const PUBLIC_KEY = 'sockauth:public';
/** Metadata key of `@JoinRoom()`. */
export const JOIN_ROOM_KEY = 'sockauth:join-room';
