import type {
  ReevaluationHandler,
  ReevaluationRequestOptions,
  ReevaluationTargets,
  ReevaluationResult,
  RevocationListener,
  RevocationRecord,
  RevocationStore,
  RevocationSubject,
  RevocationTarget,
} from '@sockauth/core';
import type { PermissionSet } from '@sockauth/core';
import { createClient } from 'redis';
import { MemoryRestrictions, type RestrictionRegistry } from './restrictions.js';

/** The hash of restrictions (field: subject, value: JSON array of denied permissions) and its update channel. */
const DEFAULT_KEY = '{sockauth-demo}:restrictions';

function newClient(url: string, connectTimeoutMs: number) {
  return createClient({ url, RESP: 2, socket: { connectTimeout: connectTimeoutMs } });
}
type Client = ReturnType<typeof newClient>;

/**
 * The demo's restrictions shared by every node through Redis (`REDIS_URL`): one hash holds them, every write is
 * published (the subject's name) so each node re-reads that subject, and each node keeps a mirror that
 * `mapClaims` reads synchronously. A node loads every restriction at start and again after a reconnection.
 *
 * Ordering with re-evaluation: `POST /admin/restrict` writes the restriction, then asks every node to re-evaluate
 * the subject's sockets. The update and the request travel on different connections, so a node could see the
 * request first; {@link refreshingRestrictions} makes each node re-read the subject's restriction before it
 * re-evaluates, so the order does not matter.
 *
 * @example
 * ```ts
 * const restrictions = new RedisRestrictions(process.env.REDIS_URL!);
 * await restrictions.ready();
 * await restrictions.restrict('alice', ['chat:read']); // every node withholds chat:read from alice
 * ```
 */
export class RedisRestrictions implements RestrictionRegistry {
  readonly #mirror = new MemoryRestrictions();
  readonly #commands: Client;
  readonly #subscriber: Client;
  readonly #key: string;
  #closing: Promise<void> | undefined;
  #starting: Promise<void> | undefined;

  /** Creates the two clients; {@link ready} connects them. */
  constructor(url: string, { key = DEFAULT_KEY, connectTimeoutMs = 5_000 }: { key?: string; connectTimeoutMs?: number } = {}) {
    this.#key = key;
    this.#commands = newClient(url, connectTimeoutMs);
    this.#subscriber = newClient(url, connectTimeoutMs);
    // node-redis reports every failed reconnection attempt as 'error'; it keeps reconnecting by itself.
    this.#commands.on('error', () => undefined);
    this.#subscriber.on('error', () => undefined);
  }

  /**
   * Connects, subscribes and loads every restriction (once; later calls share the first). The caller bounds the
   * wait (the demo's start-up gives Redis 5 s, then closes everything).
   */
  ready(): Promise<void> {
    this.#starting ??= (async () => {
      await Promise.all([this.#commands.connect(), this.#subscriber.connect()]);
      await this.#subscriber.subscribe(this.#key, (subject) => void this.refresh(subject).catch(() => undefined));
      await this.#load();
      // Resubscribed after a reconnection: updates may have been missed meanwhile.
      this.#subscriber.on('ready', () => void this.#load().catch(() => undefined));
    })();
    return this.#starting;
  }

  deniedTo(subject: string): PermissionSet | undefined {
    return this.#mirror.deniedTo(subject);
  }

  async restrict(subject: string, deny: readonly string[]): Promise<void> {
    const multi = this.#commands.multi();
    if (deny.length === 0) multi.hDel(this.#key, subject);
    else multi.hSet(this.#key, subject, JSON.stringify(deny));
    await multi.publish(this.#key, subject).exec();
    this.#mirror.apply(subject, deny);
  }

  async refresh(subject: string): Promise<void> {
    this.#mirror.apply(subject, parseDeny(await this.#commands.hGet(this.#key, subject)));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      const quit = async (client: Client): Promise<void> => {
        if (client.isOpen) await client.close().catch(() => client.destroy());
      };
      await Promise.allSettled([quit(this.#subscriber), quit(this.#commands)]);
      await this.#mirror.close();
    })();
    return this.#closing;
  }

  async #load(): Promise<void> {
    const all = await this.#commands.hGetAll(this.#key);
    for (const [subject, value] of Object.entries(all)) this.#mirror.apply(subject, parseDeny(value));
  }
}

/** A stored deny list; anything else (a value written by something else) denies nothing. */
function parseDeny(value: string | null | undefined): readonly string[] {
  if (typeof value !== 'string') return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((p): p is string => typeof p === 'string' && p.length > 0) : [];
  } catch {
    return [];
  }
}

/**
 * `store` whose re-evaluation handlers first re-read the target subject's restriction from `registry`, so a node
 * re-evaluates with the restriction that triggered the request even when the request reached it before the
 * registry's own update. Every other member is `store`'s.
 *
 * @example
 * ```ts
 * const revocationStore = refreshingRestrictions(redisStore, restrictions);
 * createSockAuth({ verifier, revocationStore, mapClaims: restrictedMapClaims(restrictions) });
 * ```
 */
export function refreshingRestrictions(store: RevocationStore, registry: RestrictionRegistry): RevocationStore {
  const requestReevaluation = store.requestReevaluation?.bind(store);
  const onReevaluation = store.onReevaluation?.bind(store);
  return {
    revokeToken: (tokenId: string, until: number): Promise<RevocationRecord> => store.revokeToken(tokenId, until),
    revokeSubject: (subject: string, since?: number): Promise<RevocationRecord> => store.revokeSubject(subject, since),
    revokeSession: (sessionId: string): Promise<RevocationRecord> => store.revokeSession(sessionId),
    isRevoked: (token: RevocationSubject): Promise<boolean> => store.isRevoked(token),
    subscribe: (listener: RevocationListener): (() => void) => store.subscribe(listener),
    close: async (): Promise<void> => store.close?.(),
    ...(store.retentionSec !== undefined && { retentionSec: store.retentionSec }),
    ...(requestReevaluation !== undefined && {
      requestReevaluation: (target: ReevaluationTargets, options?: ReevaluationRequestOptions): Promise<ReevaluationResult> =>
        requestReevaluation(target, options),
    }),
    ...(onReevaluation !== undefined && {
      onReevaluation: (handler: ReevaluationHandler): (() => void) =>
        onReevaluation(async (targets) => {
          const subjects = (Array.isArray(targets) ? targets : [targets]).flatMap((target: RevocationTarget) =>
            target.subject === undefined ? [] : [target.subject],
          );
          // Unreadable now: re-evaluate with what this node has (pub/sub kept it current until Redis was lost).
          await Promise.all(subjects.map((subject) => registry.refresh(subject).catch(() => undefined)));
          return handler(targets);
        }),
    }),
  };
}
