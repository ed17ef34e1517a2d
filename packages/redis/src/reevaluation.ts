import { randomBytes } from 'node:crypto';
import {
  AuthUnavailableError,
  parseReevaluationTargets,
  parseRevocationTarget,
  runReevaluationHandlers,
  type ReevaluationHandler,
  type ReevaluationResult,
  type ReevaluationTargets,
  type RevocationTarget,
} from '@sockauth/core';
import type { KeyNames } from './keys.js';

/**
 * Largest message this node reads on the re-evaluation channels. A list of targets is packed into requests of at
 * most this size (a target id is at most 1024 characters, so one always fits); 10,000 subjects of ordinary length
 * are one request.
 */
const MAX_MESSAGE_CHARS = 1_048_576;

/** The re-evaluation channels under a store's hash-tagged prefix (`{sockauth}:reevaluate`, …). */
export interface ReevaluationChannels {
  /** Every node subscribes to it: requests `{ id, replyTo, target }` (one target) or `{ id, replyTo, targets }`. */
  readonly request: string;
  /** This node's own: answers `{ id, affected }` to the requests it sent. */
  readonly reply: string;
}

/** The channels of one node: the shared request channel and a reply channel named by a random node id. */
export function reevaluationChannels(keys: KeyNames, nodeId: string = randomBytes(8).toString('hex')): ReevaluationChannels {
  return Object.freeze({ request: `${keys.prefix}reevaluate`, reply: `${keys.prefix}reevaluated:${nodeId}` });
}

/** What the re-evaluation needs of the store's connections. */
export interface ReevaluationLink {
  /** Subscribed to both channels and connected: a request can be sent and answered. */
  ready(): boolean;
  /** PUBLISH on the command connection; resolves with the number of subscribers that received it. */
  publish(channel: string, message: string): Promise<number>;
}

interface Pending {
  readonly resolve: (result: ReevaluationResult) => void;
  affected: number;
  nodes: number;
  /** Receivers of the request, once PUBLISH answered. */
  expected: number | undefined;
}

/**
 * Cross-node re-evaluation over pub/sub. A request is published on the shared channel with a fresh request id and
 * this node's reply channel; PUBLISH answers how many nodes were subscribed, and the requester waits for that
 * many answers (or the timeout) and sums them. Each node (the requester included) runs its handlers and answers
 * with its count, 0 when it has none, so a request never waits for a node that has nothing to do.
 */
export class Reevaluation {
  readonly channels: ReevaluationChannels;
  readonly #link: ReevaluationLink;
  readonly #handlers = new Set<ReevaluationHandler>();
  readonly #pending = new Map<string, Pending>();
  #closed = false;

  constructor(channels: ReevaluationChannels, link: ReevaluationLink) {
    this.channels = channels;
    this.#link = link;
  }

  onRequest(handler: ReevaluationHandler): () => void {
    this.#handlers.add(handler);
    return () => {
      this.#handlers.delete(handler);
    };
  }

  /**
   * Asks every node to re-evaluate `targets`: one request (a list is packed into as few as
   * {@link MAX_MESSAGE_CHARS} allows, sent at once), the answers summed (`nodes`: the most that answered one).
   */
  async request(targets: ReevaluationTargets, timeoutMs: number): Promise<ReevaluationResult> {
    const list = parseReevaluationTargets(targets);
    if (this.#closed) throw new AuthUnavailableError('revocation store closed');
    if (!this.#link.ready()) throw new AuthUnavailableError('revocation store unreachable: the re-evaluation was not requested, retry');
    // Nothing to re-evaluate: nothing is asked.
    if (list.length === 0) return { affected: 0, nodes: 0 };
    // One target keeps the `target` field, which nodes of earlier versions read too.
    if (!Array.isArray(targets)) return this.#requestOne({ target: wireTarget(list[0]!) }, timeoutMs);
    const packs: string[][] = [];
    let pack: string[] = [];
    let chars = 0;
    for (const target of list) {
      const json = JSON.stringify(wireTarget(target));
      // The envelope (id, replyTo, brackets) fits in the 1 KiB left over.
      if (pack.length > 0 && chars + json.length + 1 > MAX_MESSAGE_CHARS - 1_024) {
        packs.push(pack);
        pack = [];
        chars = 0;
      }
      pack.push(json);
      chars += json.length + 1;
    }
    packs.push(pack);
    const results = await Promise.all(packs.map((targetsJson) => this.#requestOne(`[${targetsJson.join(',')}]`, timeoutMs)));
    return results.reduce((sum, r) => ({ affected: sum.affected + r.affected, nodes: Math.max(sum.nodes, r.nodes) }), { affected: 0, nodes: 0 });
  }

  /** One request on the channel: `body` is `{ target }`, or the JSON text of a `targets` list. */
  async #requestOne(body: { target: Record<string, string> } | string, timeoutMs: number): Promise<ReevaluationResult> {
    const id = randomBytes(12).toString('hex');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const result = new Promise<ReevaluationResult>((resolve) => {
      this.#pending.set(id, { resolve, affected: 0, nodes: 0, expected: undefined });
      // Past the timeout, the answers in are summed: a node that died mid-way must not hold the caller forever.
      timer = setTimeout(() => this.#settle(id), timeoutMs);
    }).finally(() => clearTimeout(timer));
    const head = JSON.stringify({ id, replyTo: this.channels.reply });
    const message =
      typeof body === 'string' ? `${head.slice(0, -1)},"targets":${body}}` : JSON.stringify({ id, replyTo: this.channels.reply, ...body });
    let receivers: number;
    try {
      receivers = await this.#link.publish(this.channels.request, message);
    } catch (error) {
      // The caller maps it (AUTH_UNAVAILABLE): nothing was asked, or it cannot be known whether it was.
      this.#pending.delete(id);
      clearTimeout(timer);
      throw error;
    }
    const pending = this.#pending.get(id);
    if (pending !== undefined) {
      pending.expected = receivers;
      if (pending.nodes >= receivers) this.#settle(id);
    }
    return result;
  }

  /** A message on one of the two channels. Malformed ones are ignored. */
  onMessage(raw: string, channel: string): void {
    if (this.#closed || raw.length > MAX_MESSAGE_CHARS) return;
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const fields = message as Record<string, unknown>;
    if (typeof fields.id !== 'string') return;
    if (channel === this.channels.reply) this.#onAnswer(fields.id, fields.affected);
    else if (channel === this.channels.request) void this.#onRequest(fields.id, fields.replyTo, fields.targets ?? fields.target);
  }

  /** Answers every pending request with what came in. */
  close(): void {
    this.#closed = true;
    for (const id of [...this.#pending.keys()]) this.#settle(id);
    this.#handlers.clear();
  }

  #onAnswer(id: string, affected: unknown): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    pending.nodes++;
    if (typeof affected === 'number' && Number.isSafeInteger(affected) && affected > 0) pending.affected += affected;
    if (pending.expected !== undefined && pending.nodes >= pending.expected) this.#settle(id);
  }

  async #onRequest(id: string, replyTo: unknown, target: unknown): Promise<void> {
    // Answers go only to a reply channel of this store's prefix.
    if (typeof replyTo !== 'string' || !replyTo.startsWith(this.channels.reply.slice(0, this.channels.reply.lastIndexOf(':') + 1))) return;
    try {
      parseReevaluationTargets(target);
    } catch {
      return;
    }
    const affected = await runReevaluationHandlers(this.#handlers, target as ReevaluationTargets);
    try {
      await this.#link.publish(replyTo, JSON.stringify({ id, affected }));
    } catch {
      // The requester stops at its timeout.
    }
  }

  #settle(id: string): void {
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    this.#pending.delete(id);
    pending.resolve({ affected: pending.affected, nodes: pending.nodes });
  }
}

/** A target as it travels: only its one key (whatever else the caller's object carried stays here). */
function wireTarget(target: RevocationTarget): Record<string, string> {
  const { kind, id } = parseRevocationTarget(target);
  return { [kind === 'subject' ? 'subject' : kind === 'session' ? 'sessionId' : 'tokenId']: id };
}
