import { randomUUID } from 'node:crypto';
import type { AuthClientBase } from '@sockauth/client';
import { decodeJwt } from '@sockauth/core/jose';
import type { ConformanceClientOptions, ConformanceConnection, ConformanceRequest } from './driver.js';
import { ConformanceFailure } from './failure.js';
import type { ConformanceClaims, ConformanceServer, ResolvedConformanceOptions } from './options.js';

/** A user a flow made up: a subject and a session no other flow uses. */
export interface FlowUser {
  readonly subject: string;
  readonly sessionId: string;
}

/** What `within` resolves with when time ran out first. */
export const TIMED_OUT = Symbol('timed out');

/** Resolves with `promise`'s value, or {@link TIMED_OUT} after `ms`. */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Waits `ms`: only where the flow must prove that something does NOT happen (there is no event to await). */
export function quiet(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The `code` of a denied ack (`{ error: { code } }`), if it is one. */
export function deniedCode(ack: unknown): string | undefined {
  const error = typeof ack === 'object' && ack !== null ? (ack as { error?: { code?: unknown } }).error : undefined;
  return typeof error?.code === 'string' ? error.code : undefined;
}

/**
 * Everything one flow run needs: the server, unique users and scopes, tokens, connections and clients, all closed
 * when the flow ends whatever its outcome.
 */
export class FlowContext {
  /** A scope (room name) unique to this flow run. */
  readonly scope = `conformance-${randomUUID().slice(0, 8)}`;
  /** Every token minted in this flow (the log flow looks for them). */
  readonly tokens: string[] = [];
  readonly #closers: (() => void)[] = [];
  #keys = 0;

  constructor(
    readonly options: ResolvedConformanceOptions,
    readonly server: ConformanceServer,
    readonly mintToken: (claims: ConformanceClaims) => Promise<string>,
  ) {}

  get driver() {
    return this.options.driver!;
  }

  /** A fresh user (subject and session). */
  user(): FlowUser {
    const id = randomUUID().slice(0, 8);
    return { subject: `conformance-${id}`, sessionId: `session-${id}` };
  }

  /** A key unique to this flow run. */
  key(): string {
    return `${this.scope}-${++this.#keys}`;
  }

  /** Mints a token for `user` (default: every permission of a full user, the expiry flows' lifetime). */
  async token(user: FlowUser, options: { ttlSec?: number; permissions?: readonly string[] } = {}): Promise<string> {
    const token = await this.mintToken({
      subject: user.subject,
      sessionId: user.sessionId,
      permissions: options.permissions ?? this.options.permissions,
      ttlSec: options.ttlSec ?? this.options.timings.ttlSec,
    });
    this.tokens.push(token);
    return token;
  }

  /** `exp` of a token, in ms (the suite's tokens are JWTs: a custom `mint` must return JWTs too). */
  expiresAt(token: string): number {
    const { exp } = decodeJwt(token);
    if (typeof exp !== 'number') throw new TypeError('conformance: minted tokens must carry "exp"');
    return exp * 1000;
  }

  /** Connects with `token`; a refusal fails the flow as a precondition (a full user must get in). */
  async connect(token: string): Promise<ConformanceConnection> {
    try {
      return this.track(await this.driver.connect(this.server.url, token, { timeoutMs: 5_000 }));
    } catch (error) {
      throw new ConformanceFailure(
        'PRECONDITION',
        `a fresh token was refused at the handshake (${(error as { code?: string }).code ?? (error as Error).message})`,
        'check that the server trusts the tokens of "mint" / the kit issuer handed to start()',
      );
    }
  }

  /** Tracks a connection made another way, to close it after the flow. */
  track(connection: ConformanceConnection): ConformanceConnection {
    this.#closers.push(() => connection.close());
    return connection;
  }

  /** A `@sockauth/client` on the driver's wire, closed after the flow. */
  client(options: ConformanceClientOptions): AuthClientBase {
    const client = this.driver.createClient(this.server.url, options);
    this.#closers.push(() => client.close());
    return client;
  }

  /** Sends the privileged event and says whether it ran. */
  async privileged(connection: ConformanceConnection, key = this.key(), scope = this.scope): Promise<{ ran: boolean; ack: unknown }> {
    const ack = await connection.request(this.options.privileged.request(key, scope)).catch(() => undefined);
    return { ran: this.options.ran(ack), ack };
  }

  /** The privileged event must run (a full user sends it): otherwise the configuration is wrong. */
  async mustRun(connection: ConformanceConnection): Promise<void> {
    const { ran, ack } = await this.privileged(connection);
    if (!ran) {
      throw new ConformanceFailure(
        'PRECONDITION',
        `"${this.options.privileged.request('k', this.scope).event}" from a user with every permission was not handled (ack ${JSON.stringify(ack)})`,
        'check "privileged" (request, ran) and "permissions" in the conformance options',
      );
    }
  }

  /** Sends a request whose ack must not be an error. */
  async must(connection: ConformanceConnection, request: ConformanceRequest, what: string): Promise<unknown> {
    const ack = await connection.request(request).catch((error: Error) => ({ error: { code: error.message } }));
    if (deniedCode(ack) !== undefined) {
      throw new ConformanceFailure('PRECONDITION', `${what} was refused (ack ${JSON.stringify(ack)})`, 'check the conformance options');
    }
    return ack;
  }

  /** Closes every connection and client of the flow. */
  close(): void {
    for (const close of this.#closers.splice(0).reverse()) {
      try {
        close();
      } catch {
        // Already closed.
      }
    }
  }
}
