/**
 * Everything a server and its clients emit during a test, in one place, so a test can assert that none of it
 * contains a token or key material: server log lines (a real pino logger writing to memory), every hook call
 * with its arguments, console output, and on the client side every event received, every `connect_error`
 * (message and data), every disconnect reason and every ack.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { SESSION_HOOK_KEYS } from '@sockauth/core';
import type { SockAuthHooks } from '@sockauth/socket.io';
import type { ClientSocket } from './clients';

/** One thing that was emitted, with where it came from. */
export interface Emission {
  readonly source: string;
  readonly text: string;
}

/** Serialises anything, errors and functions included, without ever throwing. */
export function describeValue(value: unknown): string {
  const seen = new WeakSet<object>();
  try {
    return (
      JSON.stringify(value, (_key, item: unknown) => {
        if (typeof item === 'function') return `[function ${(item as { name?: string }).name ?? ''}]`;
        if (typeof item === 'bigint') return item.toString();
        if (item instanceof Error) {
          return { name: item.name, message: item.message, data: (item as { data?: unknown }).data, cause: item.cause, stack: item.stack };
        }
        if (typeof item === 'object' && item !== null) {
          if (seen.has(item)) return '[circular]';
          seen.add(item);
        }
        return item;
      }) ?? String(value)
    );
  } catch {
    return String(value);
  }
}

/** The log of everything emitted during one test. */
export class EmissionLog {
  readonly entries: Emission[] = [];
  /** Parsed pino records, in order. */
  readonly logRecords: Record<string, unknown>[] = [];

  add(source: string, value: unknown): void {
    this.entries.push({ source, text: typeof value === 'string' ? value : describeValue(value) });
  }

  /** All entries of a source (prefix match: `hook:` gives every hook call). */
  of(source: string): string[] {
    return this.entries.filter((entry) => entry.source.startsWith(source)).map((entry) => entry.text);
  }

  /** A real pino logger at `debug` whose every line lands here. */
  logger(): Logger {
    const stream = new Writable({
      write: (chunk: Buffer | string, _encoding, callback) => {
        const text = chunk.toString();
        for (const line of text.split('\n')) {
          if (line.trim() === '') continue;
          this.add('log', line);
          try {
            this.logRecords.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // Not JSON: kept as text above.
          }
        }
        callback();
      },
    });
    return pino({ level: 'debug', base: undefined }, stream);
  }

  /**
   * Hooks that record every call (name and arguments) of every hook core has, then call `inner`'s hook of the same
   * name, if any: a hook added later is leak-checked too.
   */
  hooks(inner: SockAuthHooks = {}): SockAuthHooks {
    const names = Object.keys(SESSION_HOOK_KEYS) as (keyof typeof SESSION_HOOK_KEYS)[];
    const hooks: Record<string, (info: unknown) => void> = {};
    for (const name of names) {
      hooks[name] = (info: unknown) => {
        this.add(`hook:${name}`, info);
        (inner[name] as ((info: unknown) => void) | undefined)?.(info);
      };
    }
    return hooks as SockAuthHooks;
  }

  /** Records everything `socket` receives: events, `connect_error`, disconnect reasons. */
  watch(socket: ClientSocket, label = 'client'): ClientSocket {
    socket.onAny((event: string, ...args: unknown[]) => this.add(`${label}:event:${event}`, args));
    socket.on('connect_error', (error: Error) => this.add(`${label}:connect_error`, error));
    socket.on('disconnect', (reason: string, details?: unknown) => this.add(`${label}:disconnect`, { reason, details }));
    return socket;
  }

  /** Everything, as one string. */
  text(): string {
    return this.entries.map((entry) => `${entry.source} ${entry.text}`).join('\n');
  }
}

/** Every `size`-character window of `text`. */
function windows(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + size <= text.length; i++) out.push(text.slice(i, i + size));
  return out;
}

/**
 * The fragments that would betray a secret if they appeared anywhere: for a compact token, every `size`-character
 * window of its payload and signature segments (the header segment is the same for many tokens and says nothing
 * about the holder); for anything else, every window of the whole string.
 */
export function secretFragments(secrets: Iterable<string>, size = 12): Set<string> {
  const fragments = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret.length < size) continue;
    const segments = secret.split('.');
    const parts = segments.length >= 3 && segments.length <= 5 ? segments.slice(1) : [secret];
    for (const part of parts) for (const fragment of windows(part, size)) fragments.add(fragment);
  }
  return fragments;
}

/** The fragments of `secrets` found in `log` (with where), empty when nothing leaked. */
export function findLeaks(log: EmissionLog, secrets: Iterable<string>, size = 12): { source: string; fragment: string }[] {
  const fragments = secretFragments(secrets, size);
  const leaks: { source: string; fragment: string }[] = [];
  if (fragments.size === 0) return leaks;
  // Every window of the emitted text looked up in the set: linear in what was emitted.
  for (const entry of log.entries) {
    for (let i = 0; i + size <= entry.text.length; i++) {
      const window = entry.text.slice(i, i + size);
      if (fragments.has(window)) {
        leaks.push({ source: entry.source, fragment: window });
        break;
      }
    }
  }
  return leaks;
}
