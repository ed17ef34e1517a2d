import type { RevocationKind } from '@sockauth/core';

/**
 * The store's key layout. Every key shares one Redis Cluster hash tag taken from the configured prefix, so all of
 * them live in one slot: a script may then touch any of them (each one declared in KEYS), and a multi-key command
 * (`MGET` of a token's three records) never fails with CROSSSLOT.
 *
 * - prefix `sockauth:` → `{sockauth}:log`, `{sockauth}:seq`, `{sockauth}:rev:subject:alice`, …
 * - prefix `myapp` → `{myapp}log`, …
 * - a prefix that already holds a hash tag (`{tenant-1}:sockauth:`) is used as is.
 */

/** Key names derived from a prefix. */
export interface KeyNames {
  /** The hash-tagged prefix every key starts with. */
  readonly prefix: string;
  /** Prefix of record keys: `P rev:`; a record key is this plus `<kind>:<id>`. */
  readonly record: string;
  readonly log: string;
  readonly exp: string;
  readonly seq: string;
  readonly epoch: string;
}

/**
 * `prefix` with a hash tag: as is when it already holds one (Redis hashes the part between the first `{` and
 * the next `}`, when that part is not empty), else wrapped in braces, keeping a trailing `:` outside them.
 */
export function hashTaggedPrefix(prefix: string): string {
  const open = prefix.indexOf('{');
  if (open >= 0 && prefix.indexOf('}', open + 1) > open + 1) return prefix;
  return prefix.length > 1 && prefix.endsWith(':') ? `{${prefix.slice(0, -1)}}:` : `{${prefix}}`;
}

/** The store's keys under a (non-empty) prefix, hash-tagged by {@link hashTaggedPrefix}. */
export function keyNames(prefix: string): KeyNames {
  const tagged = hashTaggedPrefix(prefix);
  return Object.freeze({
    prefix: tagged,
    record: `${tagged}rev:`,
    log: `${tagged}log`,
    exp: `${tagged}exp`,
    seq: `${tagged}seq`,
    epoch: `${tagged}epoch`,
  });
}

/** The member of a record in the log and expiry sets (and the suffix of its key). */
export function memberOf(kind: RevocationKind, id: string): string {
  return `${kind}:${id}`;
}

/** The key of one record. */
export function recordKey(keys: KeyNames, member: string): string {
  return keys.record + member;
}
