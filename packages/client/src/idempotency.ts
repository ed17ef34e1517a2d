interface CryptoLike {
  randomUUID?(): string;
  getRandomValues?<T extends Uint8Array>(array: T): T;
}

/**
 * A new idempotency key (a UUID v4) for an event the app may have to resend after a reconnect: the server
 * acknowledges a repeated key without repeating the effect.
 *
 * @example
 * ```ts
 * const id = idempotencyKey();
 * await client.emitWithAck('chat:send', { room, text, id }); // resend with the same id if this fails
 * ```
 */
export function idempotencyKey(): string {
  const crypto = (globalThis as { crypto?: CryptoLike }).crypto;
  // randomUUID needs a secure context in browsers (https or localhost); getRandomValues does not.
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (typeof crypto?.getRandomValues === 'function') crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
