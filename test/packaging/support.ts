/**
 * What the packaging specs share: find the publishable packages, pack them with `npm pack`, create throw-away
 * projects outside the repository, install the tarballs (and whatever else the project needs) from the npm
 * registry, and run commands there with an environment that is the project's, not the monorepo's.
 *
 * Everything works on dist/: `npm run build` first (`assertBuilt` says so when it was not).
 * SOCKAUTH_PACKAGING_KEEP=1 keeps the temporary directories for inspection.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../..');
/** Installing from the registry is the slow part; everything else gets {@link RUN_TIMEOUT_MS}. */
export const INSTALL_TIMEOUT_MS = 240_000;
export const RUN_TIMEOUT_MS = 60_000;

export interface PackageInfo {
  /** Directory under packages/, e.g. `core`. */
  dirName: string;
  dir: string;
  name: string;
  version: string;
  /** Subpaths from `exports`, e.g. ['.', './errors'] (./package.json excluded). */
  subpaths: string[];
  /** Non-optional peer dependencies, name → range. */
  peers: Record<string, string>;
  /** The `@sockauth/*` packages in `dependencies`, by name. */
  sockauthDependencies: string[];
}

export interface PackResult {
  name: string;
  version: string;
  filename: string;
  files: Array<{ path: string }>;
}

/**
 * The publishable packages: packages/* with a package.json that is not private and a src/index.ts.
 * `only` (directory or package names) restricts the list; empty means all.
 */
export function discoverPackages(only: readonly string[] = []): PackageInfo[] {
  const packagesDir = path.join(REPO_ROOT, 'packages');
  const found: PackageInfo[] = [];
  for (const dirName of fs.readdirSync(packagesDir).sort()) {
    const dir = path.join(packagesDir, dirName);
    const manifestPath = path.join(dir, 'package.json');
    if (!fs.existsSync(manifestPath) || !fs.existsSync(path.join(dir, 'src', 'index.ts'))) continue;
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8')) as {
      name: string;
      version: string;
      private?: boolean;
      exports?: Record<string, unknown>;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
      peerDependenciesMeta?: Record<string, { optional?: boolean }>;
    };
    if (manifest.private) continue;
    if (only.length > 0 && !only.includes(dirName) && !only.includes(manifest.name)) continue;
    // Data files (alert rules, dashboards) are exported to be located (require.resolve), not imported.
    const subpaths = Object.keys(manifest.exports ?? { '.': null }).filter((key) => key !== './package.json' && !/\.(ya?ml|json)$/.test(key));
    const peers: Record<string, string> = {};
    for (const [peer, range] of Object.entries(manifest.peerDependencies ?? {})) {
      if (!manifest.peerDependenciesMeta?.[peer]?.optional) peers[peer] = range;
    }
    const sockauthDependencies = Object.keys(manifest.dependencies ?? {}).filter((dep) => dep.startsWith('@sockauth/'));
    found.push({ dirName, dir, name: manifest.name, version: manifest.version, subpaths, peers, sockauthDependencies });
  }
  return found;
}

/**
 * The packages named in `names` (package names) and every `@sockauth/*` package they depend on, directly or
 * not: the tarballs a registry install of `names` needs beside them. An unknown name throws.
 */
export function withSockauthDependencies(names: Iterable<string>): PackageInfo[] {
  const all = discoverPackages();
  const wanted = new Set<string>();
  const visit = (name: string): void => {
    if (wanted.has(name)) return;
    const pkg = all.find((candidate) => candidate.name === name);
    if (pkg === undefined) throw new Error(`${name} is not a publishable package under packages/`);
    wanted.add(name);
    pkg.sockauthDependencies.forEach(visit);
  };
  for (const name of names) visit(name);
  return all.filter((pkg) => wanted.has(pkg.name));
}

/** Throws, naming them, when packages have no dist/: the packaging specs test the build, never src/. */
export function assertBuilt(packages: readonly PackageInfo[]): void {
  const unbuilt = packages.filter((pkg) => !fs.existsSync(path.join(pkg.dir, 'dist')));
  if (unbuilt.length > 0) {
    throw new Error(
      `No dist/ in ${unbuilt.map((pkg) => `packages/${pkg.dirName}`).join(', ')}: ` +
        'this test checks the built packages; run `npm run build` first.',
    );
  }
}

/**
 * The environment for child npm/node processes: when this runs under `npm test`, npm exports variables
 * (npm_config_local_prefix, npm_package_*, ...) that would make a child npm act on the monorepo instead of
 * on the temporary project, and jest sets NODE_ENV and may set NODE_OPTIONS.
 */
export function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/i.test(key)) continue;
    if (/^npm_config_(local_prefix|prefix|workspaces?|include_workspace_root|global)$/i.test(key)) continue;
    if (key === 'INIT_CWD' || key === 'NODE_ENV' || key === 'NODE_OPTIONS' || key === 'JEST_WORKER_ID') continue;
    env[key] = value;
  }
  env.npm_config_update_notifier = 'false';
  env.npm_config_fund = 'false';
  env.npm_config_audit = 'false';
  return { ...env, ...extra };
}

export interface RunOptions {
  timeout?: number;
  /** Added to {@link childEnv}. */
  env?: NodeJS.ProcessEnv;
}

/** Runs a command; on failure throws an error that shows the command, exit code, stdout and stderr. */
export function run(command: string, args: readonly string[], cwd: string, options: RunOptions | number = {}): string {
  const { timeout = RUN_TIMEOUT_MS, env } = typeof options === 'number' ? { timeout: options } : options;
  const execOptions: ExecFileSyncOptions = {
    cwd,
    env: childEnv(env),
    timeout,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  };
  try {
    return execFileSync(command, args, execOptions) as string;
  } catch (error) {
    const e = error as { status?: number | null; signal?: string | null; stdout?: string; stderr?: string };
    const how = e.signal ? `killed by ${e.signal}${e.signal === 'SIGTERM' ? ` (timeout ${timeout} ms?)` : ''}` : `exit code ${e.status}`;
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (${how}) in ${cwd}\n` +
        `--- stdout ---\n${(e.stdout ?? '').trim()}\n--- stderr ---\n${(e.stderr ?? '').trim()}`,
    );
  }
}

/** A fresh temporary directory; {@link removeWorkDir} deletes it (or keeps it with SOCKAUTH_PACKAGING_KEEP=1). */
export function makeWorkDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `sockauth-${prefix}-`));
}

export function removeWorkDir(dir: string): void {
  if (!dir) return;
  if (process.env['SOCKAUTH_PACKAGING_KEEP']) console.log(`packaging test: kept ${dir}`);
  else fs.rmSync(dir, { recursive: true, force: true });
}

/** A packed package: `npm pack`'s report plus the tarball's absolute path. */
export interface Packed extends PackResult {
  tarball: string;
}

/** `npm pack`s every package into `destination` (one npm call); name → what was packed. */
export function packPackages(packages: readonly PackageInfo[], destination: string): Map<string, Packed> {
  fs.mkdirSync(destination, { recursive: true });
  const args = ['pack', '--json', '--pack-destination', destination, ...packages.flatMap((pkg) => ['-w', `packages/${pkg.dirName}`])];
  const output = run('npm', args, REPO_ROOT);
  const packed = new Map<string, Packed>();
  for (const result of JSON.parse(output.slice(output.indexOf('['))) as PackResult[]) {
    packed.set(result.name, { ...result, tarball: path.join(destination, result.filename) });
  }
  for (const pkg of packages) {
    if (!packed.has(pkg.name)) throw new Error(`npm pack produced no tarball for ${pkg.name}:\n${output}`);
  }
  return packed;
}

/** `name@range` of the packages' non-optional peers that are not among the packages themselves. */
export function peerSpecs(packages: readonly PackageInfo[]): string[] {
  const peers = new Map<string, string>();
  for (const pkg of packages) {
    for (const [peer, range] of Object.entries(pkg.peers)) {
      if (!packages.some((p) => p.name === peer)) peers.set(peer, range);
    }
  }
  return [...peers].map(([peer, range]) => `${peer}@${range}`);
}

/** Creates `dir` with a minimal package.json (`type` module or commonjs, plus `fields`). */
export function createProject(dir: string, type: 'module' | 'commonjs', fields: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const manifest = { name: path.basename(dir).toLowerCase(), version: '0.0.0', private: true, type, ...fields };
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
}

/**
 * `npm install`s tarballs, registry specs and flags (e.g. `-D`) into the project at `dir` (no lockfile, no install
 * scripts). Registry metadata comes from npm's cache when it is there (`--prefer-offline`: an install takes seconds
 * instead of tens of seconds); when the cached metadata predates a requested version (ETARGET), the install is
 * run once more with `--prefer-online`.
 */
export function installInto(dir: string, specs: readonly string[]): void {
  const install = (metadata: '--prefer-offline' | '--prefer-online'): void => {
    run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', metadata, ...specs], dir, INSTALL_TIMEOUT_MS);
  };
  try {
    install('--prefer-offline');
  } catch (error) {
    if (!/\bETARGET\b/.test((error as Error).message)) throw error;
    install('--prefer-online');
  }
}

/** The published versions of `name` (one registry look-up). */
export function publishedVersions(name: string): string[] {
  return JSON.parse(run('npm', ['view', name, 'versions', '--json'], REPO_ROOT)) as string[];
}

/** The version of `name` installed in the project at `dir`. */
export function installedVersion(dir: string, name: string): string {
  return (JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

export interface JestAgainstOptions {
  /** Module name patterns → files of the project's install, before the repository's own mappings. */
  readonly mapped: Record<string, string>;
  /** The suites, relative to the repository. */
  readonly suites: readonly string[];
  readonly timeout: number;
  /** Added to the environment of jest (e.g. the version the feature test must find). */
  readonly env?: NodeJS.ProcessEnv;
  /** Names the run in a failure, e.g. `ws 8.2.0`. */
  readonly label: string;
}

/**
 * Runs the repository's `suites` with the repository's jest configuration, `mapped` first (the project at `dir`
 * supplies those packages, everything else is the repository's), and returns how many tests passed and how many were
 * skipped (a suite may skip what the installed version lacks, saying so in the test's name). Judged by jest's
 * JSON report, not its exit code (a suite that leaves a handle behind can exit 1 with every test passed); throws
 * naming the failed suites, or when a suite did not run.
 */
export function runJestAgainst(dir: string, options: JestAgainstOptions): { passed: number; skipped: string[] } {
  const rootConfig = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { jest: Record<string, unknown> }).jest;
  const config = {
    ...rootConfig,
    rootDir: REPO_ROOT,
    moduleNameMapper: { ...options.mapped, ...(rootConfig['moduleNameMapper'] as Record<string, string>) },
  };
  const configFile = path.join(dir, 'jest.config.json');
  fs.writeFileSync(configFile, JSON.stringify(config));
  const resultsFile = path.join(dir, 'results.json');
  let failure: unknown;
  try {
    run('npx', ['jest', '--config', configFile, '--runInBand', '--ci', '--json', `--outputFile=${resultsFile}`, ...options.suites], REPO_ROOT, {
      timeout: options.timeout,
      env: options.env ?? {},
    });
  } catch (error) {
    failure = error;
  }
  if (!fs.existsSync(resultsFile)) throw failure;
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as {
    numTotalTests: number;
    numFailedTests: number;
    numPassedTests: number;
    testResults: {
      name: string;
      status: string;
      message: string;
      assertionResults: { fullName: string; status: string; failureMessages: string[] }[];
    }[];
  };
  // A suite with skipped tests reports `focused`, not `passed`.
  const failed = results.testResults.filter((suite) => suite.status === 'failed');
  if (failed.length > 0 || results.numFailedTests > 0) {
    const tests = results.testResults.flatMap((suite) => suite.assertionResults.filter((test) => test.status === 'failed'));
    throw new Error(
      `${options.label}: ${failed.map((suite) => `${suite.name}\n${suite.message}`).join('\n')}\n` +
        tests.map((test) => `${test.fullName}\n${test.failureMessages.join('\n')}`).join('\n'),
    );
  }
  const ran = results.testResults.map((suite) => path.relative(REPO_ROOT, suite.name)).sort();
  if (JSON.stringify(ran) !== JSON.stringify([...options.suites].sort()) || results.numTotalTests === 0) {
    throw new Error(`${options.label}: ran ${JSON.stringify(ran)} (${results.numTotalTests} tests), expected ${JSON.stringify(options.suites)}`);
  }
  const skipped = results.testResults.flatMap((suite) => suite.assertionResults.filter((test) => test.status !== 'passed').map((test) => test.fullName));
  return { passed: results.numPassedTests, skipped };
}
