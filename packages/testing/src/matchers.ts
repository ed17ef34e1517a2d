import { isAuthError, isAuthErrorCode, type AuthErrorCode } from '@sockauth/core/errors';
import type { ClientSocket } from './connect-as.js';
import { waitForCut } from './expiry.js';

interface MatcherResult {
  pass: boolean;
  message(): string;
}

function describeValue(value: unknown): string {
  if (isAuthError(value)) return `AuthError ${value.code}`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function requireCode(code: unknown, matcher: string): AuthErrorCode {
  if (!isAuthErrorCode(code)) throw new TypeError(`${matcher}: ${JSON.stringify(code)} is not a sockauth error code`);
  return code;
}

/** The code of a denied ack (`{ error: { code } }`) or of a rejected AuthError, if any. */
function deniedCode(outcome: { resolved: true; value: unknown } | { resolved: false; error: unknown }): string | undefined {
  if (!outcome.resolved) return isAuthError(outcome.error) ? outcome.error.code : undefined;
  const error = (outcome.value as { error?: { code?: unknown } } | null)?.error;
  return typeof error?.code === 'string' ? error.code : undefined;
}

async function settle(received: unknown): Promise<{ resolved: true; value: unknown } | { resolved: false; error: unknown }> {
  try {
    return { resolved: true, value: await received };
  } catch (error) {
    return { resolved: false, error };
  }
}

/**
 * Jest/Vitest matchers for sockauth. Installed automatically when the test framework exposes a global `expect`
 * with `extend`; otherwise `expect.extend(sockauthMatchers)`.
 */
export const sockauthMatchers = {
  /**
   * `await expect(connectAs(...)).toBeRefusedWith('AUTH_EXPIRED')`: the handshake was refused with that code.
   */
  async toBeRefusedWith(received: unknown, code: AuthErrorCode): Promise<MatcherResult> {
    const expected = requireCode(code, 'toBeRefusedWith');
    const outcome = await settle(received);
    if (outcome.resolved) {
      const value = outcome.value as ClientSocket | undefined;
      value?.close?.();
      return { pass: false, message: () => `expected the handshake to be refused with ${expected}, but it connected` };
    }
    const pass = isAuthError(outcome.error) && outcome.error.code === expected;
    return {
      pass,
      message: () =>
        pass
          ? `expected the handshake not to be refused with ${expected}`
          : `expected the handshake to be refused with ${expected}, got ${describeValue(outcome.error)}`,
    };
  },

  /**
   * `await expect(socket.emitWithAck('admin:kick')).toBeForbidden()`: the event was denied with `AUTH_FORBIDDEN`
   * (the ack `{ error: { code: 'AUTH_FORBIDDEN' } }`, or a rejected `AuthError` from `@sockauth/client`).
   */
  async toBeForbidden(received: unknown): Promise<MatcherResult> {
    const outcome = await settle(received);
    const code = deniedCode(outcome);
    const pass = code === 'AUTH_FORBIDDEN';
    const got = outcome.resolved ? outcome.value : outcome.error;
    return {
      pass,
      message: () =>
        pass ? 'expected the event not to be forbidden' : `expected the event to be forbidden (AUTH_FORBIDDEN), got ${describeValue(got)}`,
    };
  },

  /**
   * `await expect(socket).toBeDisconnectedWith('AUTH_REVOKED')`: the server sent `auth:error` with that code and
   * disconnected the socket (waits up to 10 s, or `{ timeoutMs }`).
   */
  async toBeDisconnectedWith(received: unknown, code: AuthErrorCode, options: { timeoutMs?: number } = {}): Promise<MatcherResult> {
    const expected = requireCode(code, 'toBeDisconnectedWith');
    const socket = received as ClientSocket;
    if (typeof socket?.on !== 'function') throw new TypeError('toBeDisconnectedWith: expected a socket.io-client socket');
    let detail: string;
    let pass = false;
    try {
      const cut = await waitForCut(socket, options);
      pass = cut.error.code === expected;
      detail = `auth:error ${cut.error.code} then disconnect (${cut.reason})`;
    } catch (error) {
      detail = (error as Error).message;
    }
    return {
      pass,
      message: () =>
        pass ? `expected the socket not to be disconnected with ${expected}` : `expected a disconnect with ${expected}, got ${detail}`,
    };
  },
};

/** Adds {@link sockauthMatchers} to `expect`. */
export function installMatchers(expectLike: { extend(matchers: Record<string, unknown>): void }): void {
  expectLike.extend(sockauthMatchers);
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      /** The handshake was refused with `code` (use on the promise of `connectAs`). */
      toBeRefusedWith(code: AuthErrorCode): Promise<R>;
      /** The event was denied with `AUTH_FORBIDDEN` (use on the promise of `emitWithAck`). */
      toBeForbidden(): Promise<R>;
      /** The server sent `auth:error` with `code` and disconnected the socket. */
      toBeDisconnectedWith(code: AuthErrorCode, options?: { timeoutMs?: number }): Promise<R>;
    }
  }
}

const globalExpect = (globalThis as { expect?: { extend?: (matchers: Record<string, unknown>) => void } }).expect;
if (typeof globalExpect?.extend === 'function') globalExpect.extend(sockauthMatchers);
