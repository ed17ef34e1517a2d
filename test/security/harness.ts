/**
 * The hostile-input suites' harness: starts one of the two adapters with a recording logger (real pino) and
 * recording hooks, watches every client it creates, and after each test closes everything and asserts that
 * nothing emitted (logs, hook arguments, console, events, acks, connect_error messages and data, auth:error
 * payloads) contains a fragment of any token the test used or of any key material.
 */
import { AUTH_ACTIONS, type AuthErrorCode } from '@sockauth/core';
import { ADAPTER_NAMESPACES, type AdapterAuthOptions, type AdapterFactory, type AdapterOptions, type AdapterServer } from '../support/adapters';
import { closeAll } from '@sockauth/testing';
import { client, connectOutcome, type ClientOptions, type ClientSocket, type ConnectError } from '../support/clients';
import { EmissionLog, findLeaks } from '../support/emissions';
import { hsVerifier, keyMaterial, suiteKeys, type SuiteKeys } from '../support/hostile-tokens';

export interface StartOptions {
  /** sockauth options on top of the HS256 verifier, the recording hooks and the pino logger. */
  readonly auth?: Partial<AdapterAuthOptions>;
  readonly io?: AdapterOptions['io'];
  readonly events?: AdapterOptions['events'];
}

export interface Harness {
  /** Everything emitted in the current test. */
  readonly log: EmissionLog;
  /** The suite's keys (available inside tests). */
  readonly keys: SuiteKeys;
  /** Registers strings that must never be emitted (every token a test builds goes through here). */
  secret<T extends string>(value: T): T;
  /** Starts the adapter with the recording hooks and logger. */
  start(factory: AdapterFactory, options?: StartOptions): Promise<AdapterServer>;
  /** A watched client (connecting in the background). */
  client(url: string, options?: ClientOptions): ClientSocket;
  /** A watched client that must connect. */
  connect(url: string, options?: ClientOptions): Promise<ClientSocket>;
  /** A watched client that must be refused: its `connect_error`. */
  refused(url: string, options?: ClientOptions): Promise<ConnectError>;
  /** Emits with an ack (3 s timeout) and records the ack. */
  ack(socket: ClientSocket, event: string | number, ...args: unknown[]): Promise<unknown>;
}

let current: { log: EmissionLog; secrets: string[]; keys: SuiteKeys } | undefined;

/**
 * Installs the per-test set-up: a fresh emission log, console capture, and the closing leak check. Call once per
 * file, at the top.
 */
export function useHarness(): Harness {
  const spies: jest.SpyInstance[] = [];
  beforeEach(async () => {
    const keys = await suiteKeys();
    const log = new EmissionLog();
    current = { log, secrets: keyMaterial(keys), keys };
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      spies.push(jest.spyOn(console, method).mockImplementation((...args: unknown[]) => log.add(`console.${method}`, args)));
    }
  });
  afterEach(async () => {
    // Closing emits too (releases, disconnects): check after everything is closed.
    await closeAll();
    for (const spy of spies.splice(0)) spy.mockRestore();
    const { log, secrets } = current!;
    current = undefined;
    expect(findLeaks(log, secrets)).toEqual([]);
  });

  const state = () => {
    if (current === undefined) throw new Error('harness used outside a test');
    return current;
  };
  const watched = (socket: ClientSocket): ClientSocket => state().log.watch(socket);

  return {
    get log() {
      return state().log;
    },
    get keys() {
      return state().keys;
    },
    secret(value) {
      state().secrets.push(value);
      return value;
    },
    async start(factory, options = {}) {
      const { log, keys } = state();
      return factory({
        auth: { verifier: hsVerifier(keys), hooks: log.hooks(), logger: log.logger(), ...options.auth },
        ...(options.io !== undefined && { io: options.io }),
        ...(options.events !== undefined && { events: options.events }),
      });
    },
    client(url, options = {}) {
      return watched(client(url, options));
    },
    async connect(url, options = {}) {
      const socket = watched(client(url, options));
      const outcome = await connectOutcome(socket);
      if (!outcome.connected) throw new Error(`expected a connection, got connect_error ${JSON.stringify(outcome.error.data ?? outcome.error.message)}`);
      return socket;
    },
    async refused(url, options = {}) {
      const socket = watched(client(url, options));
      const outcome = await connectOutcome(socket);
      if (outcome.connected) throw new Error('expected the handshake to be refused, but the socket connected');
      return outcome.error;
    },
    async ack(socket, event, ...args) {
      const reply = await socket.timeout(3_000).emitWithAck(event as string, ...args);
      state().log.add('client:ack', reply);
      return reply;
    },
  };
}

/** The wire shape of a refusal: `{ code, action }` (handshake) or `{ code, action, message }` (acks, auth:error). */
export function refusal(code: AuthErrorCode): { code: AuthErrorCode; action: string } {
  return { code, action: AUTH_ACTIONS[code] };
}

/**
 * Asserts a handshake refusal as designed: the exact `{ code, action }`, no connection handler and no event
 * handler ran, no socket is authenticated, and the failure was reported to the hook and the logger.
 */
export function expectRefusedHandshake(
  h: Harness,
  server: AdapterServer,
  error: ConnectError,
  code: AuthErrorCode,
  namespace: (typeof ADAPTER_NAMESPACES)[number] = '/',
): void {
  expect(error.data).toEqual(refusal(code));
  expect(server.connections).toEqual([]);
  expect(server.runs).toEqual([]);
  expect(server.sockAuth.size).toBe(0);
  const failures = h.log.of('hook:onAuthFailure').map((text) => JSON.parse(text) as { code: string; stage: string; namespace: string });
  expect(failures).toContainEqual(expect.objectContaining({ code, stage: 'handshake', namespace }));
  expect(h.log.logRecords).toContainEqual(expect.objectContaining({ sockauth: 'refused', stage: 'handshake', code, namespace }));
}
