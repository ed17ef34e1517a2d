import { createAuthClient, idempotencyKey } from '../src/index.js';
import { FakeSocket } from './fake-socket.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Runs `fn` with `globalThis.crypto` replaced by `crypto` (or removed), then puts the real one back. */
function withCrypto<T>(crypto: object | undefined, fn: () => T): T {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, 'crypto')!;
  Object.defineProperty(globalThis, 'crypto', { value: crypto, configurable: true, writable: true });
  try {
    return fn();
  } finally {
    Object.defineProperty(globalThis, 'crypto', descriptor);
  }
}

describe('idempotencyKey', () => {
  it('is a UUID v4 from crypto.randomUUID', () => {
    expect(idempotencyKey()).toMatch(UUID_V4);
    expect(idempotencyKey()).not.toBe(idempotencyKey());
  });

  it('builds a UUID v4 from crypto.getRandomValues where randomUUID is missing (a page that is not a secure context)', () => {
    const real = globalThis.crypto;
    const getRandomValues = <A extends Uint8Array>(array: A): A => real.getRandomValues(array);
    const keys = withCrypto({ getRandomValues }, () => [idempotencyKey(), idempotencyKey()]);
    expect(keys[0]).toMatch(UUID_V4);
    expect(keys[1]).not.toBe(keys[0]);
  });

  it('refuses with a TypeError rather than fall back to Math.random when there is no Web Crypto', () => {
    const random = jest.spyOn(Math, 'random');
    expect(() => withCrypto(undefined, () => idempotencyKey())).toThrow(TypeError);
    expect(() => withCrypto({}, () => idempotencyKey())).toThrow(/getRandomValues/);
    expect(random).not.toHaveBeenCalled();
    random.mockRestore();
  });

  it('is checked when the client is created, not at the first idempotent emit', () => {
    const create = (): unknown =>
      createAuthClient({ socket: new FakeSocket().asSocket(), refresh: async () => 't', autoConnect: false });
    expect(() => withCrypto(undefined, create)).toThrow(TypeError);
    expect(() => withCrypto({}, create)).toThrow(/crypto\.getRandomValues/);
  });
});
