import { createHash } from 'node:crypto';
import type { RevocationKind } from '@sockauth/core';

/**
 * The Redis side of the store: two Lua scripts (each one atomic on the server) and the formats they write.
 * Every key a script reads or writes is passed in KEYS (none is built inside a script), and all of them share
 * the prefix's hash tag (keys.ts), so both scripts run on Redis Cluster.
 *
 * Keys, all under the store's hash-tagged prefix (`P`, e.g. `{sockauth}:`):
 * - `P rev:<kind>:<id>`: one revocation, the string `since|until|seq`, with a PX TTL that ends at `until`.
 * - `P log`: sorted set, member `<kind>:<id>`, score = `seq` of the record's latest write. Resync reads it.
 * - `P exp`: sorted set, member `<kind>:<id>`, score = `until`. Expired members are pruned from both sets on
 *   every write, and both sets expire with their longest-lived record, so memory stays bounded.
 * - `P seq`: the write counter. Every write takes the next value and publishes it, so a gap in the sequence a
 *   node receives means it missed a message.
 * - `P epoch`: a random id set once. When Redis loses its data (restart without persistence), the counter starts
 *   again from 1 under a new epoch, and every node knows it must resync from scratch.
 */

/** Both scripts write numbers with `%.0f`: ms timestamps are exact doubles, and never printed as `1.7e+12`. */
const WRITE_SCRIPT = `
local since = tonumber(ARGV[4])
local untilMs = tonumber(ARGV[5])
local now = tonumber(ARGV[6])
local function fmt(n) return string.format('%.0f', n) end
local existing = redis.call('GET', KEYS[1])
if existing then
  local s, u = string.match(existing, '^(%d+)|(%d+)|')
  s = tonumber(s)
  u = tonumber(u)
  if s and s > since then since = s end
  if u and u > untilMs then untilMs = u end
end
local ttl = untilMs - now
if ttl < 1 then ttl = 1 end
redis.call('SETNX', KEYS[5], ARGV[8])
local epoch = redis.call('GET', KEYS[5])
local seq = redis.call('INCR', KEYS[4])
redis.call('SET', KEYS[1], fmt(since) .. '|' .. fmt(untilMs) .. '|' .. fmt(seq), 'PX', fmt(ttl))
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[3], fmt(untilMs), ARGV[1])
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', fmt(now), 'LIMIT', 0, 64)
if #expired > 0 then
  redis.call('ZREM', KEYS[3], unpack(expired))
  redis.call('ZREM', KEYS[2], unpack(expired))
end
if redis.call('EXISTS', KEYS[3]) == 1 and redis.call('PTTL', KEYS[3]) < ttl then
  redis.call('PEXPIRE', KEYS[3], fmt(ttl))
  redis.call('PEXPIRE', KEYS[2], fmt(ttl))
end
redis.call('PUBLISH', ARGV[7], epoch .. '|' .. fmt(seq) .. '|' .. ARGV[2] .. '|' .. fmt(since) .. '|' .. fmt(untilMs) .. '|' .. ARGV[3])
return { epoch, fmt(seq), fmt(since), fmt(untilMs) }
`;

/**
 * Reads one page of the log after a sequence number: `epoch, counter, count, lastScore, member…`. It does not
 * read the records: their keys are only known once the page is read, and a script may touch only the keys it
 * was given. The caller reads them with one `MGET` (same slot); a record rewritten in between is read newer,
 * which is safe (records only widen, and delivery is at least once).
 */
const SYNC_SCRIPT = `
redis.call('SETNX', KEYS[3], ARGV[3])
local epoch = redis.call('GET', KEYS[3])
local counter = redis.call('GET', KEYS[2]) or '0'
local page = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2]))
local out = { epoch, counter, tostring(#page / 2), '0' }
for i = 1, #page, 2 do
  out[4] = page[i + 1]
  out[#out + 1] = page[i]
end
return out
`;

/** A Lua script and its SHA1, for EVALSHA with a fallback to EVAL (after a restart the script cache is empty). */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return Object.freeze({ source, sha: createHash('sha1').update(source).digest('hex') });
}

export const WRITE = script(WRITE_SCRIPT);
export const SYNC = script(SYNC_SCRIPT);

const KINDS: ReadonlySet<string> = new Set<RevocationKind>(['subject', 'session', 'token']);

/** A record as stored: `since|until|seq`. */
export interface StoredValue {
  readonly since: number;
  readonly until: number;
  readonly seq: number;
}

/** A record as stored (`since|until|seq`), or undefined when the value is not one. */
export function parseStoredValue(value: string): StoredValue | undefined {
  const match = /^(\d+)\|(\d+)\|(\d+)$/.exec(value);
  if (match === null) return undefined;
  return { since: Number(match[1]), until: Number(match[2]), seq: Number(match[3]) };
}

/** `<kind>:<id>` back to its parts. */
export function parseMember(member: string): { kind: RevocationKind; id: string } | undefined {
  const colon = member.indexOf(':');
  const kind = member.slice(0, colon);
  if (colon < 0 || !KINDS.has(kind)) return undefined;
  return { kind: kind as RevocationKind, id: member.slice(colon + 1) };
}

/** One message on the channel: `epoch|seq|kind|since|until|id` (the id last, since it may contain `|`). */
export interface ChannelMessage {
  readonly epoch: string;
  readonly seq: number;
  readonly kind: RevocationKind;
  readonly id: string;
  readonly since: number;
  readonly until: number;
}

export function parseMessage(message: string): ChannelMessage | undefined {
  const match = /^([^|]+)\|(\d+)\|(subject|session|token)\|(\d+)\|(\d+)\|([\s\S]+)$/.exec(message);
  if (match === null) return undefined;
  return {
    epoch: match[1]!,
    seq: Number(match[2]),
    kind: match[3] as RevocationKind,
    since: Number(match[4]),
    until: Number(match[5]),
    id: match[6]!,
  };
}
