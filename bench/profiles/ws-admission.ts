/**
 * What the `@sockauth/ws` upgrade path costs on top of `jose`, layer by layer, in one process (no sockets, no
 * kernel, no client: only the server's own CPU per upgrade). Each layer runs `N` distinct HS256 tokens, 32 in
 * flight like `ws-handshake.ts`, in rounds that alternate their order; medians of CPU µs per upgrade:
 * - `jose`: the ws + bare jose baseline's `verifyClient` body (header regex, `jwtVerify` with a `CryptoKey`);
 * - `verifier`: `createVerifier(...).verify` (shape, digest, cache, `jwtVerify`, duplicate members, claim checks);
 * - `authenticate`: `ConnectionAuth.authenticate` (the verifier, the context, the revocation store);
 * - `verifyClient`: `wsAuth.serverOptions.verifyClient` on a request object (token sources, redaction, session);
 * - `upgrade`: `verifyClient`, then the `'connection'` of a stand-in socket (admission: index, hooks, `onConnection`)
 *   and its close (release).
 *
 *   npx tsx --conditions=@sockauth/source bench/profiles/ws-admission.ts   (BENCH_ADMISSIONS, BENCH_ROUNDS, BENCH_LAYERS)
 */
import { EventEmitter } from 'node:events';
import { PerformanceObserver } from 'node:perf_hooks';
import type { IncomingMessage } from 'node:http';
import { jwtVerify } from 'jose';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConnectionAuth, MemoryRevocationStore, createVerifier } from '@sockauth/core';
import { createWsAuth } from '@sockauth/ws';
import { median } from '../lib/stats.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_SECRET, hs256Tokens } from '../lib/tokens.js';

const N = Number(process.env['BENCH_ADMISSIONS'] ?? 4000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const CONCURRENCY = 32;
const claimOptions = { algorithms: ['HS256'], issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE };

/** A stand-in for what `ws` hands over: what the adapter touches of a socket. */
class StandInSocket extends EventEmitter {
  readyState = 1;
  send(): void {}
  close(): void {
    this.readyState = 3;
  }
  ping(): void {}
  terminate(): void {}
}

function request(token: string): IncomingMessage {
  const socket = Object.assign(new EventEmitter(), { destroyed: false });
  const headers = { host: '127.0.0.1', authorization: `Bearer ${token}`, upgrade: 'websocket', connection: 'Upgrade' };
  return { url: '/', headers, rawHeaders: Object.entries(headers).flat(), socket } as unknown as IncomingMessage;
}

const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(BENCH_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
const verifier = createVerifier({ ...claimOptions, algorithms: ['HS256'], secret: BENCH_SECRET });
const connectionOptions = { verifier: createVerifier({ ...claimOptions, algorithms: ['HS256'], secret: BENCH_SECRET }), revocationStore: new MemoryRevocationStore() };
const wsAuth = createWsAuth({
  verifier: { algorithms: ['HS256'], secret: BENCH_SECRET, issuer: BENCH_ISSUER, audience: BENCH_AUDIENCE },
  events: { echo: 'chat:read' },
});
const wss = new WebSocketServer({ noServer: true, ...wsAuth.serverOptions });
wsAuth.attach(wss);
const HELLO = JSON.stringify({ type: 'hello' });
wsAuth.onConnection((ws) => ws.send(HELLO));
const verifyClient = wsAuth.serverOptions.verifyClient as (info: { req: IncomingMessage }, done: (ok: boolean) => void) => void;

const verifyUpgrade = (req: IncomingMessage): Promise<void> => new Promise((resolve) => verifyClient({ req }, () => resolve()));

const LAYERS: Record<string, (token: string) => Promise<unknown>> = {
  jose: (token) => {
    const req = request(token);
    const found = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    return jwtVerify(found, key, claimOptions);
  },
  verifier: (token) => verifier.verify(token),
  authenticate: async (token) => (await ConnectionAuth.authenticate(token, connectionOptions)).close(),
  verifyClient: async (token) => {
    const req = request(token);
    await verifyUpgrade(req);
    // Not admitted: the client leaves, the session lets it go.
    (req.socket as EventEmitter).emit('close');
  },
  upgrade: async (token) => {
    const req = request(token);
    await verifyUpgrade(req);
    const ws = new StandInSocket();
    wss.emit('connection', ws as unknown as WebSocket, req);
    if (wsAuth.contextOf(ws as unknown as WebSocket) === undefined) throw new Error('not admitted');
    ws.readyState = 3;
    ws.emit('close', 1000, Buffer.alloc(0));
    (req.socket as EventEmitter).emit('close');
  },
};
/** BENCH_LAYERS=jose,upgrade: only those (e.g. under `--cpu-prof`). */
const names = process.env['BENCH_LAYERS']?.split(',') ?? Object.keys(LAYERS);

/** Main-thread GC pauses so far, in ms. */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });
const gc: Record<string, number[]> = {};

async function round(layer: (token: string) => Promise<unknown>, tokens: readonly string[], name?: string): Promise<number> {
  let next = 0;
  const gcBefore = gcMs;
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < tokens.length) await layer(tokens[next++]!);
    }),
  );
  const { user, system } = process.cpuUsage(cpu);
  // GC entries are delivered on a later turn: read after one.
  await new Promise((resolve) => setImmediate(resolve));
  if (name !== undefined) (gc[name] ??= []).push(((gcMs - gcBefore) * 1000) / tokens.length);
  return (user + system) / tokens.length;
}

// Every token signed before anything is measured: signing's garbage is not collected in a measured round.
const warmup = await Promise.all(names.map((name) => hs256Tokens(N, 3600, {}, `warm-${name}-`)));
const pools = await Promise.all(Array.from({ length: ROUNDS * names.length }, (_, i) => hs256Tokens(N, 3600, {}, `r${i}-`)));
const results: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (const [i, name] of names.entries()) await round(LAYERS[name]!, warmup[i]!);
for (let r = 0; r < ROUNDS; r++) {
  for (const name of r % 2 === 0 ? names : [...names].reverse()) results[name]!.push(await round(LAYERS[name]!, pools.pop()!, name));
}
wsAuth.close();
const base = median(results['jose'] ?? [0]);
console.log(`CPU µs per upgrade, ${N} distinct HS256 tokens, ${CONCURRENCY} in flight, median of ${ROUNDS} alternating rounds`);
for (const name of names) {
  const value = median(results[name]!);
  console.log(`${name.padEnd(13)} ${value.toFixed(1).padStart(7)} µs   +${(value - base).toFixed(1).padStart(6)} over jose, GC ${median(gc[name]!).toFixed(1).padStart(5)} µs   (rounds ${results[name]!.map((v) => v.toFixed(0)).join(' ')})`);
}
