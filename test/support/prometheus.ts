import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { findBinary } from './binaries.js';
import { freePort } from './redis.js';

/**
 * A real `prometheus` server for tests, on a free loopback port with its own temporary config and data
 * directory, and `promtool`. Tests never skip when the binaries are missing: they fail with the message below.
 */

export const PROMETHEUS_MISSING_MESSAGE =
  'prometheus / promtool not found: install the Debian package prometheus (CI installs it in .ci/run)';

const START_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 100;

/** The `promtool` binary: `PROMTOOL_BIN`, else the first one on `PATH`. */
export function promtoolBinary(): string {
  return findBinary('promtool', 'PROMTOOL_BIN', PROMETHEUS_MISSING_MESSAGE);
}

/** The `prometheus` binary: `PROMETHEUS_BIN`, else the first one on `PATH`. */
export function prometheusBinary(): string {
  return findBinary('prometheus', 'PROMETHEUS_BIN', PROMETHEUS_MISSING_MESSAGE);
}

/** Runs `promtool args`; resolves with its output, rejects with the output in the message when it fails. */
export function promtool(args: readonly string[], cwd?: string): Promise<string> {
  const binary = promtoolBinary();
  return new Promise((resolve, reject) => {
    execFile(binary, args, { cwd, timeout: 30_000 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (error) reject(new Error(`promtool ${args.join(' ')} failed (${error.message}):\n${output}`));
      else resolve(output);
    });
  });
}

/**
 * Polls `check` every 100 ms until it returns a value other than `undefined`, and resolves with it; rejects
 * after `timeoutMs` with `what` and the last value seen. For external state that has no event to await (what a
 * Prometheus server has scraped or evaluated).
 */
export async function pollUntil<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** One rule of a Prometheus rule file: a recording rule (`record`) or an alert (`alert`). */
export interface PromRule {
  readonly record?: string;
  readonly alert?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** Every rule of a Prometheus rule file, groups flattened, in file order. */
export function readRuleFile(path: string): PromRule[] {
  const file = parse(readFileSync(path, 'utf8')) as { groups: { rules: PromRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** One series of an instant query's result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** What `/api/v1/query` answers: a result, or an error with its type (`bad_data` for an invalid query). */
export type PromQueryAnswer =
  | { readonly status: 'success'; readonly data: { readonly resultType: string; readonly result: PromSample[] | unknown } }
  | { readonly status: 'error'; readonly errorType: string; readonly error: string };

/** A running Prometheus. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** GETs `/api/v1/<path>` with `params` and returns the parsed JSON answer (whatever its HTTP status). */
  api<T = any>(path: string, params?: Record<string, string>): Promise<T>;
  /** An instant query (`/api/v1/query`). */
  query(expr: string): Promise<PromQueryAnswer>;
  /** Everything the process logged so far. */
  output(): string;
  /** Stops the process and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** What to scrape, and which rule files to load. */
export interface PrometheusOptions {
  /** `host:port` targets of one scrape job. */
  readonly targets: readonly string[];
  /** The job name (default `sockauth`). */
  readonly job?: string;
  /** Scrape and rule evaluation interval (default `1s`). */
  readonly interval?: string;
  /** Absolute paths of rule files to load. */
  readonly ruleFiles?: readonly string[];
}

/**
 * Starts `prometheus` on a free loopback port, scraping `targets`, and resolves once it is ready. Throws
 * {@link PROMETHEUS_MISSING_MESSAGE} when the binary is not installed.
 *
 * @example
 * ```ts
 * const prometheus = await startPrometheus({ targets: ['127.0.0.1:3000'] });
 * afterAll(() => prometheus.stop());
 * ```
 */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = prometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'sockauth-prometheus-'));
  const interval = options.interval ?? '1s';
  const config = {
    global: { scrape_interval: interval, scrape_timeout: interval, evaluation_interval: interval },
    rule_files: options.ruleFiles ?? [],
    scrape_configs: [{ job_name: options.job ?? 'sockauth', static_configs: [{ targets: options.targets }] }],
  };
  // JSON is YAML: no YAML writer needed for the config.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null && spawnError === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  const api = async (path: string, params: Record<string, string> = {}): Promise<any> => {
    const response = await fetch(`${url}/api/v1/${path}?${new URLSearchParams(params)}`);
    return response.json();
  };

  try {
    await pollUntil(
      `prometheus to be ready on ${url}`,
      async () => {
        if (spawnError !== undefined) throw spawnError;
        if (child.exitCode !== null) throw new Error(`prometheus exited (code ${child.exitCode})`);
        const response = await fetch(`${url}/-/ready`);
        return response.ok ? true : undefined;
      },
      START_TIMEOUT_MS,
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- prometheus output ---\n${output}`);
  }
  return {
    url,
    api,
    query: (expr) => api('query', { query: expr }),
    output: () => output,
    stop,
  };
}
