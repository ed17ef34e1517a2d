#!/usr/bin/env node
/**
 * The system programs the test suite drives, made present before `npm test` runs a single test:
 * `redis-server` (packages/redis, test/cluster and the bench smoke test start their own servers), `chromium`
 * (test/browser loads the demo page in a real browser) and Prometheus's `prometheus` and `promtool` (the metrics
 * package's alert rules and dashboard). Those tests never skip, so a missing program must be
 * installed here or named here, not discovered as 32 failures later.
 *
 * - Present (on PATH, or where REDIS_SERVER_BIN / CHROME_PATH point): nothing to do.
 * - Missing, running as root with apt-get (Debian, Ubuntu, CI): `apt-get update` once, then one non-interactive
 *   `apt-get install` of every missing package.
 * - Missing otherwise (not root, no apt-get): one line on stderr saying what to install, exit code 1.
 *
 * Run by the root `npm test` script; `node scripts/ensure-system-deps.mjs` on its own does the same.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the tests need: the program, the environment variable that may point at it, the Debian package. */
const REQUIREMENTS = [
  { program: 'redis-server', env: 'REDIS_SERVER_BIN', aptPackage: 'redis-server' },
  { program: 'chromium', env: 'CHROME_PATH', aptPackage: 'chromium' },
  // packages/metrics checks its alert rules with promtool; test/metrics runs every dashboard query on a real server.
  { program: 'prometheus', env: 'PROMETHEUS_BIN', aptPackage: 'prometheus' },
  { program: 'promtool', env: 'PROMTOOL_BIN', aptPackage: 'prometheus' },
];

function isExecutable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `program` on `env.PATH`, as an absolute path, or undefined. */
function onPath(program, env) {
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, program);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Where each requirement is, or why not. An explicit variable (CHROME_PATH=...) that points at nothing is a
 * misconfiguration: it is reported as such, never replaced by an install.
 */
function locate(env) {
  return REQUIREMENTS.map((requirement) => {
    const explicit = env[requirement.env];
    if (explicit) {
      return isExecutable(explicit)
        ? { ...requirement, found: explicit }
        : { ...requirement, misconfigured: `${requirement.env}=${explicit} is not an executable file` };
    }
    const found = onPath(requirement.program, env);
    return found ? { ...requirement, found } : requirement;
  });
}

function run(command, args, env) {
  const result = spawnSync(command, args, { env, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`\`${[command, ...args].join(' ')}\` failed with exit code ${result.status}`);
}

/**
 * Makes sure every requirement is present; installs the missing ones with apt when it can.
 * Returns an exit code: 0 when everything is present, 1 after printing one line on stderr.
 *
 * @param {{ env?: NodeJS.ProcessEnv, isRoot?: boolean, log?: (line: string) => void, error?: (line: string) => void }} [options]
 * @returns {number}
 */
export function ensureSystemDeps({
  env = process.env,
  isRoot = process.getuid?.() === 0,
  log = (line) => console.log(line),
  error = (line) => console.error(line),
} = {}) {
  const located = locate(env);
  const misconfigured = located.filter((requirement) => requirement.misconfigured);
  if (misconfigured.length > 0) {
    error(`sockauth tests: ${misconfigured.map((requirement) => requirement.misconfigured).join('; ')}: fix or unset it.`);
    return 1;
  }
  const missing = located.filter((requirement) => !requirement.found);
  if (missing.length === 0) return 0;

  const packages = [...new Set(missing.map((requirement) => requirement.aptPackage))];
  const aptGet = onPath('apt-get', env);
  if (!isRoot || aptGet === undefined) {
    const programs = missing.map((requirement) => requirement.program).join(' and ');
    const variables = missing.map((requirement) => requirement.env).join(' / ');
    error(
      `sockauth tests need ${programs}, which ${missing.length > 1 ? 'are' : 'is'} not installed: install ${packages.join(' ')} ` +
        `(Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}), or point ${variables} at ${missing.length > 1 ? 'them' : 'it'}.`,
    );
    return 1;
  }

  log(`sockauth tests: installing ${packages.join(' ')} with apt-get (missing: ${missing.map((r) => r.program).join(', ')})`);
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    run(aptGet, ['update', '-qq'], aptEnv);
    run(aptGet, ['install', '-y', '-qq', '--no-install-recommends', ...packages], aptEnv);
  } catch (failure) {
    error(`sockauth tests: could not install ${packages.join(' ')} with apt-get: ${failure.message}`);
    return 1;
  }
  const stillMissing = locate(env).filter((requirement) => !requirement.found);
  if (stillMissing.length > 0) {
    error(`sockauth tests: apt-get installed ${packages.join(' ')}, but ${stillMissing.map((r) => r.program).join(' and ')} is still not on PATH.`);
    return 1;
  }
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  process.exitCode = ensureSystemDeps();
}
