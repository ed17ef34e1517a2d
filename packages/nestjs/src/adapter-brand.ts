/**
 * Brands of sockauth's WebSocket adapters, recognised across copies of this package (CJS and ESM side by side,
 * where `instanceof` fails) and without loading the adapter's platform: the module checks the `ws` adapter's
 * brand without importing `@nestjs/platform-ws`, an optional peer.
 */
export const IO_ADAPTER_BRAND = Symbol.for('@sockauth/nestjs.SockAuthIoAdapter');
export const WS_ADAPTER_BRAND = Symbol.for('@sockauth/nestjs.SockAuthWsAdapter');

/** Marks `adapter` with `brand`. */
export function brand(adapter: object, brand: symbol): void {
  Object.defineProperty(adapter, brand, { value: true });
}

/** True when `value` carries `brand`. */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}
