import { randomUUID } from 'node:crypto';
import calculateSlot from 'cluster-key-slot';
import { createClient } from 'redis';
import { RedisRevocationStore, type RedisRevocationStoreOptions } from '@sockauth/redis';
import { hashTaggedPrefix, keyNames, memberOf } from '../src/keys.js';
import { SYNC, WRITE } from '../src/scripts.js';
import { startRedis, type RedisServer } from '../../../test/support/redis.js';

/**
 * Redis Cluster safety: a script may only touch the keys it is given in KEYS, and the keys of one call must map to
 * one hash slot. Checked over the wire: a real store runs against a real redis-server while a MONITOR connection
 * records every command, those its scripts run included (`[0 lua]`); Redis itself (`COMMAND GETKEYS`) says which
 * arguments of each are keys, and `cluster-key-slot` (node-redis's own CRC16) gives their slots.
 */

type RawClient = ReturnType<typeof createClient<{}, {}, {}, 2>>;

interface Monitored {
  /** `lua` for a command a script ran, else the client's address. */
  readonly source: string;
  readonly args: readonly string[];
}

/** `1733380000.123456 [0 127.0.0.1:5000] "EVALSHA" "ab\"c" …` → its source and arguments (sdscatrepr escapes). */
function parseMonitorLine(line: string): Monitored | undefined {
  const match = /^\d+\.\d+ \[\d+ ([^\]]+)\] (.*)$/s.exec(line);
  if (match === null) return undefined;
  const args: string[] = [];
  const escapes: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', '"': '"', '\\': '\\' };
  for (const quoted of match[2]!.matchAll(/"((?:[^"\\]|\\.)*)"/gs)) {
    args.push(
      quoted[1]!.replace(/\\x([0-9a-f]{2})|\\(.)/gs, (_, hex: string | undefined, char: string | undefined) =>
        hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (escapes[char!] ?? char!),
      ),
    );
  }
  return { source: match[1]!, args };
}

let redis: RedisServer;
let raw: RawClient;
const opened: RedisRevocationStore[] = [];

beforeAll(async () => {
  redis = await startRedis();
  raw = createClient({ url: redis.url, RESP: 2 });
  raw.on('error', () => undefined);
  await raw.connect();
});

afterAll(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
  await raw?.close().catch(() => undefined);
  await redis?.stop();
});

async function open(options: Partial<RedisRevocationStoreOptions>): Promise<RedisRevocationStore> {
  const store = new RedisRevocationStore({ url: redis.url, healthCheckIntervalMs: 0, ...options } as RedisRevocationStoreOptions);
  opened.push(store);
  await store.ready(10_000);
  return store;
}

/** The keys of a command, as Redis sees them (none for PUBLISH, PING, …). */
async function keysOf(args: readonly string[]): Promise<string[]> {
  try {
    return (await raw.sendCommand(['COMMAND', 'GETKEYS', ...args])) as string[];
  } catch {
    return []; // "The command has no key arguments"
  }
}

describe('key layout: one hash tag, one slot', () => {
  it('derives a hash tag from the prefix, and keeps a prefix that already has one', () => {
    expect(keyNames('sockauth:')).toMatchObject({ log: '{sockauth}:log', seq: '{sockauth}:seq', record: '{sockauth}:rev:' });
    expect(keyNames('myapp').log).toBe('{myapp}log');
    expect(keyNames('{tenant-1}:auth:').log).toBe('{tenant-1}:auth:log');
    expect(keyNames('auth:{tenant-1}:').log).toBe('auth:{tenant-1}:log');
    // `{}` is no tag for Redis (the whole key is hashed): wrapped like any other prefix.
    expect(hashTaggedPrefix('x{}y:')).toBe('{x{}y}:');
  });

  it.each(['sockauth:', 'myapp', 'a:b:', ':', '{tenant}:auth:', 'x{}y:', 'a{b:', 'a}b:', '}{', 'é{ü}'])(
    'puts every key of prefix %j in one slot, whatever the ids',
    (prefix) => {
      const keys = keyNames(prefix);
      const all = [keys.log, keys.exp, keys.seq, keys.epoch];
      for (const id of ['alice', '{bob}', 'c}d{e}', '', '👀']) all.push(keys.record + memberOf('subject', id));
      expect(new Set(all.map((key) => calculateSlot(key))).size).toBe(1);
    },
  );
});

describe('scripts over the wire: every key in KEYS, one slot per call', () => {
  it('declares every key its scripts touch, in one slot, when writing, syncing and reading records', async () => {
    const monitor = raw.duplicate();
    monitor.on('error', () => undefined);
    await monitor.connect();
    const lines: string[] = [];
    let wake: (() => void) | undefined;
    await monitor.monitor((line) => {
      lines.push(String(line));
      wake?.();
    });
    // Everything between two markers belongs to one step (MONITOR's own order of a script and its commands aside).
    const segments: Monitored[][] = [];
    let marked = 0;
    const mark = async (): Promise<void> => {
      const marker = `step-${++marked}`;
      await raw.sendCommand(['ECHO', marker]);
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (lines.some((line) => line.includes(`"ECHO" "${marker}"`))) resolve();
        };
        wake = check;
        check();
      });
      const end = lines.findIndex((line) => line.includes(`"ECHO" "${marker}"`));
      segments.push(lines.splice(0, end + 1).flatMap((line) => parseMonitorLine(line) ?? []));
    };

    // An untagged prefix, as most users give it: the store must tag it.
    const keyPrefix = `mon-${randomUUID().slice(0, 8)}:`;
    const writer = await open({ keyPrefix, retentionSec: 600 }); // sync of an empty log
    await mark();
    await writer.revokeSubject('alice');
    await writer.revokeSession('sid-{1}');
    await writer.revokeToken('jti|2', Date.now() + 60_000);
    await mark();
    await open({ keyPrefix, retentionSec: 600 }); // sync of a log with records: the page, then the records
    await mark();
    await monitor.close();

    const scriptShas = new Set([WRITE.sha, SYNC.sha]);
    const touched = new Set<string>();
    const seen = { scriptCalls: 0, luaCommands: 0, recordReads: 0 };
    for (const segment of segments) {
      const declared = new Set<string>();
      for (const command of segment.filter((c) => c.source !== 'lua')) {
        const name = command.args[0]!.toUpperCase();
        const keys = await keysOf(command.args);
        if (name === 'EVALSHA' || name === 'EVAL') {
          expect(scriptShas.has(command.args[1]!) || name === 'EVAL').toBe(true);
          seen.scriptCalls++;
          for (const key of keys) declared.add(key);
        }
        if (name === 'MGET' && keys.some((key) => key.includes('rev:'))) seen.recordReads++;
        // The keys of one call (a script's KEYS, an MGET) share a slot: no CROSSSLOT on a cluster.
        expect({ command: command.args.slice(0, 2), slots: new Set(keys.map((key) => calculateSlot(key))).size }).toEqual({
          command: command.args.slice(0, 2),
          slots: keys.length === 0 ? 0 : 1,
        });
        for (const key of keys) touched.add(key);
      }
      for (const command of segment.filter((c) => c.source === 'lua')) {
        seen.luaCommands++;
        for (const key of await keysOf(command.args)) {
          // Never a key built inside the script.
          expect({ command: command.args[0], key, declared: declared.has(key) }).toEqual({ command: command.args[0], key, declared: true });
          touched.add(key);
        }
      }
    }
    // Not vacuous: both scripts ran (4 calls at least), their commands were seen, and the sync read records.
    expect(seen.scriptCalls).toBeGreaterThanOrEqual(4);
    expect(seen.luaCommands).toBeGreaterThan(10);
    expect(seen.recordReads).toBeGreaterThanOrEqual(1);
    // One store, one slot: every key it touched lives on the same cluster node.
    const storeKeys = [...touched].filter((key) => key.startsWith(keyNames(keyPrefix).prefix));
    expect(storeKeys.length).toBe(touched.size);
    expect(new Set(storeKeys.map((key) => calculateSlot(key))).size).toBe(1);
  });
});
