import { AUTH_ACTIONS, isAuthError, isAuthErrorCode, type AuthAction, type AuthErrorCode } from '@sockauth/core/errors';
import { refusalDataOf, type ClientSocket } from './connect-as.js';
import type { WsClientSocket } from './ws-client-socket.js';
import { waitForCut } from './expiry.js';
import { waitForRoomLeft } from './room-left.js';

interface MatcherResult {
  pass: boolean;
  message(): string;
}

/** What the matchers can check besides the code. */
export interface AuthErrorExpectation {
  /**
   * The `action` the server sent with the error (`refresh`, `retry`, `login` or `none`). Checked on the wire
   * payload when there is one (`err.data` of a refused `connectAs`, the ack, the `auth:error` event), so a server
   * that pairs a code with the wrong action fails the assertion.
   */
  readonly action?: AuthAction;
}

/** Options of `toBeDisconnectedWith`. */
export interface DisconnectExpectation extends AuthErrorExpectation {
  /** Give up waiting after this many milliseconds (default 10 000). */
  readonly timeoutMs?: number;
}

/** Options of `toHaveLeftRoom`. */
export interface RoomLeftExpectation extends DisconnectExpectation {
  /** The code the server gave (default: any; sockauth sends `AUTH_FORBIDDEN`, or `AUTH_UNAVAILABLE` when undecided). */
  readonly code?: AuthErrorCode;
}

/** A code and action as received, for comparisons and failure messages. */
interface Received {
  readonly code: string;
  readonly action: unknown;
}

const ACTIONS = new Set<unknown>(Object.values(AUTH_ACTIONS));

function describeValue(value: unknown): string {
  if (isAuthError(value)) return `AuthError ${value.code}`;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function describeReceived(received: Received): string {
  return `${received.code} (action ${typeof received.action === 'string' ? received.action : JSON.stringify(received.action)})`;
}

/** `code`, plus ` (action x)` when an action is expected: the expectation as failure messages print it. */
function describeExpected(code: AuthErrorCode, action: AuthAction | undefined): string {
  return action === undefined ? code : `${code} (action ${action})`;
}

function requireCode(code: unknown, matcher: string): AuthErrorCode {
  if (!isAuthErrorCode(code)) throw new TypeError(`${matcher}: ${JSON.stringify(code)} is not a sockauth error code`);
  return code;
}

/** Validates the expectation argument: a misspelt action must not turn into an assertion that can never pass. */
function requireExpectation(expectation: unknown, matcher: string, extra: readonly string[] = []): AuthAction | undefined {
  if (expectation === undefined) return undefined;
  if (typeof expectation !== 'object' || expectation === null || Array.isArray(expectation)) {
    throw new TypeError(`${matcher}: expected an options object such as { action: 'refresh' }, got ${JSON.stringify(expectation)}`);
  }
  for (const key of Object.keys(expectation)) {
    if (key !== 'action' && !extra.includes(key)) throw new TypeError(`${matcher}: unknown option ${JSON.stringify(key)}`);
  }
  const { action } = expectation as { action?: unknown };
  if (action !== undefined && !ACTIONS.has(action)) {
    throw new TypeError(`${matcher}: ${JSON.stringify(action)} is not a sockauth action (refresh, retry, login, none)`);
  }
  return action as AuthAction | undefined;
}

function matches(received: Received | undefined, code: AuthErrorCode, action: AuthAction | undefined): boolean {
  return received !== undefined && received.code === code && (action === undefined || received.action === action);
}

/**
 * The code and action of a rejected `AuthError`: the action the server sent when the error came from a refused
 * `connectAs` (the rebuilt error derives its own from the code), else the error's.
 */
function fromAuthError(error: unknown): Received | undefined {
  if (!isAuthError(error)) return undefined;
  const data = refusalDataOf(error) as { action?: unknown } | undefined;
  return { code: error.code, action: data !== undefined && typeof data === 'object' ? data.action : error.action };
}

/** The code and action of a denied ack (`{ error: { code, action } }`) or of a rejected AuthError, if any. */
function denial(outcome: { resolved: true; value: unknown } | { resolved: false; error: unknown }): Received | undefined {
  if (!outcome.resolved) return fromAuthError(outcome.error);
  const error = (outcome.value as { error?: { code?: unknown; action?: unknown } } | null)?.error;
  return typeof error?.code === 'string' ? { code: error.code, action: error.action } : undefined;
}

/**
 * Observes what a matcher rejected before looking at it (bad arguments): a pending `connectAs` must neither end in
 * an unhandled rejection nor leave a socket open.
 */
function discard(received: unknown): void {
  if (typeof (received as PromiseLike<unknown> | null)?.then !== 'function') return;
  (received as PromiseLike<unknown>).then(
    (value) => (value as ClientSocket | undefined)?.close?.(),
    () => undefined,
  );
}

/** Runs `check` on the matcher's arguments; if it throws, `received` is discarded first. */
function checked<T>(received: unknown, check: () => T): T {
  try {
    return check();
  } catch (error) {
    discard(received);
    throw error;
  }
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
 * with `extend`; otherwise `expect.extend(sockauthMatchers)`. Each takes an optional `{ action }` to check the
 * action the server sent with the code too.
 *
 * @example
 * ```ts
 * await expect(connectAs(url, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' });
 * await expect(reader.emitWithAck('chat:send', 'hi')).toBeForbidden();
 * await expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' });
 * ```
 */
export const sockauthMatchers = {
  /**
   * `await expect(connectAs(...)).toBeRefusedWith('AUTH_EXPIRED', { action: 'refresh' })`: the handshake was
   * refused with that code (and, when given, that action).
   */
  async toBeRefusedWith(received: unknown, code: AuthErrorCode, expectation?: AuthErrorExpectation): Promise<MatcherResult> {
    const [expectedCode, action] = checked(received, () => [
      requireCode(code, 'toBeRefusedWith'),
      requireExpectation(expectation, 'toBeRefusedWith'),
    ] as const);
    const expected = describeExpected(expectedCode, action);
    const outcome = await settle(received);
    if (outcome.resolved) {
      const value = outcome.value as ClientSocket | undefined;
      value?.close?.();
      return { pass: false, message: () => `expected the handshake to be refused with ${expected}, but it connected` };
    }
    const got = fromAuthError(outcome.error);
    const pass = matches(got, expectedCode, action);
    return {
      pass,
      message: () =>
        pass
          ? `expected the handshake not to be refused with ${expected}`
          : `expected the handshake to be refused with ${expected}, got ${got ? describeReceived(got) : describeValue(outcome.error)}`,
    };
  },

  /**
   * `await expect(socket.emitWithAck('admin:kick')).toBeForbidden()`: the event was denied with `AUTH_FORBIDDEN`
   * (the ack `{ error: { code: 'AUTH_FORBIDDEN' } }`, or a rejected `AuthError` from `@sockauth/client`). With
   * `{ action: 'none' }`, the ack must also say `action: 'none'` (the connection stays).
   */
  async toBeForbidden(received: unknown, expectation?: AuthErrorExpectation): Promise<MatcherResult> {
    const action = checked(received, () => requireExpectation(expectation, 'toBeForbidden'));
    const expected = describeExpected('AUTH_FORBIDDEN', action);
    const outcome = await settle(received);
    const got = denial(outcome);
    const pass = matches(got, 'AUTH_FORBIDDEN', action);
    const value = outcome.resolved ? outcome.value : outcome.error;
    return {
      pass,
      message: () =>
        pass
          ? `expected the event not to be forbidden (${expected})`
          : `expected the event to be forbidden (${expected}), got ${got ? describeReceived(got) : describeValue(value)}`,
    };
  },

  /**
   * `await expect(socket).toBeDisconnectedWith('AUTH_REVOKED', { action: 'login' })`: the server sent
   * `auth:error` with that code (and, when given, that action) and disconnected the socket (waits up to 10 s, or
   * `{ timeoutMs }`).
   */
  async toBeDisconnectedWith(received: unknown, code: AuthErrorCode, options?: DisconnectExpectation): Promise<MatcherResult> {
    const expectedCode = requireCode(code, 'toBeDisconnectedWith');
    const action = requireExpectation(options, 'toBeDisconnectedWith', ['timeoutMs']);
    const expected = describeExpected(expectedCode, action);
    const socket = received as ClientSocket | WsClientSocket;
    if (typeof socket?.on !== 'function') throw new TypeError('toBeDisconnectedWith: expected a socket.io-client socket or a WsClientSocket');
    let detail: string;
    let pass = false;
    try {
      const cut = await waitForCut(socket, options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      pass = matches(cut.error, expectedCode, action);
      detail = `auth:error ${describeReceived(cut.error)} then disconnect (${cut.reason})`;
    } catch (error) {
      detail = (error as Error).message;
    }
    return {
      pass,
      message: () =>
        pass ? `expected the socket not to be disconnected with ${expected}` : `expected a disconnect with ${expected}, got ${detail}`,
    };
  },

  /**
   * `await expect(socket).toHaveLeftRoom('staff-ops', { code: 'AUTH_FORBIDDEN', action: 'none' })`: the server
   * made the socket leave the room and told it with `auth:room-left` (waits up to 10 s, or `{ timeoutMs }`; also
   * passes when it already happened to a socket from `connectAs`).
   */
  async toHaveLeftRoom(received: unknown, room: string, options?: RoomLeftExpectation): Promise<MatcherResult> {
    const action = requireExpectation(options, 'toHaveLeftRoom', ['timeoutMs', 'code']);
    const code = options?.code === undefined ? undefined : requireCode(options.code, 'toHaveLeftRoom');
    if (typeof room !== 'string' || room.length === 0) throw new TypeError('toHaveLeftRoom: expected a room name');
    const socket = received as ClientSocket;
    if (typeof socket?.on !== 'function') throw new TypeError('toHaveLeftRoom: expected a socket.io-client socket');
    const expected = `${JSON.stringify(room)}${code === undefined ? '' : ` with ${describeExpected(code, action)}`}`;
    let detail: string;
    let pass = false;
    try {
      const left = await waitForRoomLeft(socket, room, options?.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
      pass = (code === undefined || left.code === code) && (action === undefined || left.action === action);
      detail = `auth:room-left ${describeReceived(left)}`;
    } catch (error) {
      detail = (error as Error).message;
    }
    return {
      pass,
      message: () => (pass ? `expected the socket not to have left ${expected}` : `expected the socket to leave ${expected}, got ${detail}`),
    };
  },
};

/** Adds {@link sockauthMatchers} to `expect`. */
export function installMatchers(expectLike: { extend(matchers: Record<string, unknown>): void }): void {
  expectLike.extend(sockauthMatchers);
}

/**
 * The sockauth matchers as `expect(received)` offers them. Every one is asynchronous: `await` it. `R` is what the
 * framework's matchers return (`void` for jest and Vitest). Declared for jest's global `expect` here, for
 * `@jest/globals` by `@sockauth/testing/jest-globals` and for Vitest by `@sockauth/testing/vitest`.
 *
 * @example
 * ```ts
 * await expect(connectAs(url, await issuer.mintExpired({ sub: 'bob' }))).toBeRefusedWith('AUTH_EXPIRED');
 * ```
 */
export interface SockauthMatchers<R = void> {
  /**
   * The handshake was refused with `code`, and with `expectation.action` when given (use on the promise of
   * `connectAs`).
   */
  toBeRefusedWith(code: AuthErrorCode, expectation?: AuthErrorExpectation): Promise<R>;
  /** The event was denied with `AUTH_FORBIDDEN` (use on the promise of `emitWithAck`). */
  toBeForbidden(expectation?: AuthErrorExpectation): Promise<R>;
  /** The server sent `auth:error` with `code` (and `options.action` when given) and disconnected the socket. */
  toBeDisconnectedWith(code: AuthErrorCode, options?: DisconnectExpectation): Promise<R>;
  /** The server made the socket leave `room` (`auth:room-left`), with `options.code`/`action` when given. */
  toHaveLeftRoom(room: string, options?: RoomLeftExpectation): Promise<R>;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    // Jest's global `expect` (@types/jest).
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface Matchers<R> extends SockauthMatchers<R> {}
  }
}

const globalExpect = (globalThis as { expect?: { extend?: (matchers: Record<string, unknown>) => void } }).expect;
if (typeof globalExpect?.extend === 'function') globalExpect.extend(sockauthMatchers);
