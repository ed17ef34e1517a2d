interface CryptoLike {
  randomUUID?(): string;
  getRandomValues?<T extends Uint8Array>(array: T): T;
}

function webCrypto(): CryptoLike | undefined {
  return (globalThis as { crypto?: CryptoLike }).crypto;
}

/**
 * Throws a TypeError unless the runtime has `crypto.getRandomValues` (every supported one does: Node ≥ 20.19 and
 * evergreen browsers). Idempotency keys must not be guessable or collide, so there is no `Math.random` fallback.
 */
export function requireRandomSource(): void {
  if (typeof webCrypto()?.getRandomValues !== 'function') {
    throw new TypeError('sockauth client: globalThis.crypto.getRandomValues is missing (Web Crypto is required for idempotency keys)');
  }
}

/**
 * A new idempotency key (a UUID v4) for an event the app may have to resend after a reconnect: the server
 * acknowledges a repeated key without repeating the effect. Throws a TypeError when the runtime has no Web Crypto.
 *
 * @example
 * ```ts
 * const id = idempotencyKey();
 * await client.emitWithAck('chat:send', { room, text, id }); // resend with the same id if this fails
 * ```
 */
export function idempotencyKey(): string {
  const crypto = webCrypto();
  // randomUUID needs a secure context in browsers (https or localhost); getRandomValues does not.
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  requireRandomSource();
  const bytes = crypto!.getRandomValues!(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
