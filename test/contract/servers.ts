import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { captureOutput } from '../support/child-processes';

/**
 * The servers the demo contract suites drive (shared DEMO-CONTRACT.md). Each one is started exactly like a user
 * would start it, as a child process, and driven black-box over HTTP and its WebSocket transport: Socket.IO
 * ({@link contractServers}) or plain WebSockets ({@link wsContractServers}).
 */

/** The HS256 secret the suite gives servers by default, so it can mint admin tokens itself. */
export const CONTRACT_SECRET = 'sockauth-contract-suite-hs256-secret-0123456789';
/** `iss` and `aud` of the demo's tokens when JWT_ISSUER / JWT_AUDIENCE are not set. */
export const CONTRACT_ISSUER = 'sockauth-demo';
export const CONTRACT_AUDIENCE = 'sockauth-demo';

/** A running server under test. */
export interface RunningServer {
  /** `http://HOST:PORT`, as printed on the `listening on` line. */
  readonly url: string;
  /** Everything the process wrote to stdout so far. */
  stdout(): string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Resolves once what the process wrote to stderr satisfies `done` (checked on every write). */
  stderrUntil(done: (stderr: string) => boolean): Promise<string>;
  /** Stops the process and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

export interface ContractServer {
  readonly name: string;
  /**
   * Starts the server with `PORT=0`, `HOST=127.0.0.1`, `JWT_SECRET=CONTRACT_SECRET` and `env` on top. An empty
   * string removes a variable (`{ JWT_SECRET: '' }` starts it without a secret).
   */
  start(env: Record<string, string>): Promise<RunningServer>;
}

const ROOT = resolve(__dirname, '../..');
const TSX = resolve(ROOT, 'node_modules/.bin/tsx');
// The demos compile with tsx and bundle the browser page at start-up: about 3 s alone, 8–12 s while the other jest
// worker installs packaging tarballs on a 2-core machine, and over 45 s for three Nest processes at once with the
// machine loaded ~10× over its cores. The bound only catches a server that never listens.
const STARTUP_TIMEOUT_MS = 120_000;
/** For a jest hook that starts demo servers (in parallel): the start-up bound plus room for the rest of the hook. */
export const SERVER_HOOK_TIMEOUT_MS = STARTUP_TIMEOUT_MS + 30_000;
const STOP_TIMEOUT_MS = 5_000;
const LISTENING = /^listening on (http:\/\/\S+)$/m;

/** Variables of the contract: never inherited from the developer's shell, only set on purpose. */
const CONTRACT_VARIABLES = [
  'PORT',
  'HOST',
  'JWT_SECRET',
  'JWT_ISSUER',
  'JWT_AUDIENCE',
  'CLOCK_TOLERANCE_SEC',
  'WARN_BEFORE_SEC',
  'ALLOW_QUERY_TOKEN',
  'REDIS_URL',
  'AUDIT_LOG',
];

/** The child environment: the parent's, minus contract variables, plus the defaults and `overrides`. */
export function childEnv(overrides: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONTRACT_VARIABLES) delete env[name];
  const wanted: Record<string, string> = { PORT: '0', HOST: '127.0.0.1', JWT_SECRET: CONTRACT_SECRET, ...overrides };
  for (const [name, value] of Object.entries(wanted)) {
    if (value === '') delete env[name];
    else env[name] = value;
  }
  return env;
}

/**
 * Spawns `command args` in the repository root and resolves once it printed `listening on http://...`.
 * Rejects after {@link STARTUP_TIMEOUT_MS}, or if the process exits first, with its stderr in the message.
 */
export function spawnServer(command: string, args: readonly string[], env: Record<string, string>): Promise<RunningServer> {
  const child = spawn(command, args, { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output = captureOutput(child);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    })();
    return stopping;
  };

  const stderrUntil = (done: (stderr: string) => boolean): Promise<string> =>
    new Promise((resolveDone) => {
      const check = (): void => {
        if (!done(output.stderr)) return;
        child.stderr.off('data', check);
        resolveDone(output.stderr);
      };
      // After captureOutput's own listener, so `output.stderr` already holds the chunk.
      child.stderr.on('data', check);
      check();
    });

  return new Promise<RunningServer>((resolveStart, rejectStart) => {
    const fail = (why: string): void => {
      cleanupListeners();
      void stop();
      rejectStart(new Error(`${[command, ...args].join(' ')}: ${why}\n--- stdout ---\n${output.stdout}\n--- stderr ---\n${output.stderr}`));
    };
    const timer = setTimeout(() => fail(`no "listening on http://..." line within ${STARTUP_TIMEOUT_MS} ms`), STARTUP_TIMEOUT_MS);
    const onData = (): void => {
      const match = LISTENING.exec(output.stdout);
      if (match === null) return;
      cleanupListeners();
      resolveStart({ url: match[1]!, stdout: () => output.stdout, stderr: () => output.stderr, stderrUntil, stop });
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      // Let the last stderr chunk arrive before reporting it.
      setImmediate(() => fail(`exited before listening (code ${code}, signal ${signal})`));
    };
    const onError = (error: Error): void => fail(`could not be spawned: ${error.message}`);
    function cleanupListeners(): void {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** Starts every server of a describe in parallel; stops the ones that started if any fails. */
async function startAll<T extends readonly (() => Promise<RunningServer>)[]>(
  starts: readonly [...T],
): Promise<{ -readonly [K in keyof T]: RunningServer }> {
  const results = await Promise.allSettled(starts.map((start) => start()));
  const failed = results.find((result) => result.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(results.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw (failed as PromiseRejectedResult).reason;
  }
  return results.map((result) => (result as PromiseFulfilledResult<RunningServer>).value) as {
    -readonly [K in keyof T]: RunningServer;
  };
}

/** The three processes of {@link startContractServers}. */
export interface ContractServerSet {
  readonly main: RunningServer;
  readonly queryToken: RunningServer;
  readonly noSecret: RunningServer;
}

/**
 * Starts {@link startContractServers} before the suite (`assign` receives them) and stops them after it: the
 * lifecycle every contract suite gives its three processes.
 */
export function useContractServers(server: ContractServer, assign: (servers: ContractServerSet) => void): void {
  let started: ContractServerSet | undefined;
  beforeAll(async () => {
    started = await startContractServers(server);
    assign(started);
  }, SERVER_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    if (started !== undefined) await Promise.all([started.main, started.queryToken, started.noSecret].map((running) => running.stop()));
  });
}

/**
 * The three processes each contract suite drives a demo with: `main` (short expiry timings: WARN_BEFORE_SEC=3,
 * CLOCK_TOLERANCE_SEC=0), `queryToken` (ALLOW_QUERY_TOKEN=1, other timings at their defaults) and `noSecret` (no
 * JWT_SECRET: a random one per process), started in parallel.
 */
export async function startContractServers(server: ContractServer): Promise<ContractServerSet> {
  const [main, queryToken, noSecret] = await startAll([
    () => server.start({ WARN_BEFORE_SEC: '3', CLOCK_TOLERANCE_SEC: '0' }),
    () => server.start({ ALLOW_QUERY_TOKEN: '1' }),
    () => server.start({ JWT_SECRET: '' }),
  ]);
  return { main, queryToken, noSecret };
}

/** The demos on Socket.IO: demo-contract.spec.ts drives them over socket.io-client. */
export const contractServers: readonly ContractServer[] = [
  {
    name: 'examples/socketio-chat',
    start: (env) => spawnServer(TSX, ['--conditions=@sockauth/source', 'examples/socketio-chat/src/main.ts'], env),
  },
  {
    name: 'examples/nestjs-chat',
    // `--tsconfig`: tsx only reads the tsconfig of its working directory (none at the root), and Nest needs the
    // example's legacy-decorator setting (which covers the Nest package's sources too).
    start: (env) =>
      spawnServer(
        TSX,
        ['--conditions=@sockauth/source', '--tsconfig', 'examples/nestjs-chat/tsconfig.json', 'examples/nestjs-chat/src/main.ts'],
        env,
      ),
  },
];

/** The demo on plain WebSockets (`npm run demo:ws`): ws-contract.spec.ts drives it over `ws` at `/ws`. */
export const wsContractServers: readonly ContractServer[] = [
  {
    name: 'examples/ws-chat',
    start: (env) => spawnServer(TSX, ['--conditions=@sockauth/source', 'examples/ws-chat/src/main.ts'], env),
  },
];
