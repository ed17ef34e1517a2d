/**
 * scripts/ensure-system-deps.mjs, run as `npm test` runs it, with a PATH of our own: the real redis-server,
 * chromium and apt-get are hidden (nothing is uninstalled), and a fake apt-get records what it was asked to do.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'ensure-system-deps.mjs');
const IS_ROOT = process.getuid?.() === 0;

let bin: string;
let aptLog: string;

beforeEach(() => {
  bin = mkdtempSync(join(tmpdir(), 'sockauth-system-deps-'));
  aptLog = join(bin, 'apt.log');
});

afterEach(() => rmSync(bin, { recursive: true, force: true }));

function executable(name: string, body = 'exit 0'): string {
  const file = join(bin, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

/**
 * A fake apt-get: logs its arguments; `install` creates the packages' programs (unless `installs` is false): each
 * package's own name, and `promtool` with `prometheus`, as Debian's packages do.
 */
function fakeAptGet(installs = true): void {
  const create = installs
    ? `for p in "$@"; do case "$p" in -*|install) ;; *) for f in "$p" $([ "$p" = prometheus ] && echo promtool); do printf '#!/bin/sh\\n' > "${bin}/$f"; chmod 755 "${bin}/$f"; done;; esac; done`
    : ':';
  executable('apt-get', `PATH=/usr/bin:/bin\necho "$*" >> "${aptLog}"\nif [ "$1" = install ]; then ${create}; fi`);
}

function ensure(env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [SCRIPT], { env: { PATH: bin, HOME: bin, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderrLines: result.stderr.split('\n').filter(Boolean) };
}

function aptCalls(): string[] {
  return existsSync(aptLog) ? readFileSync(aptLog, 'utf8').split('\n').filter(Boolean) : [];
}

/** Every program but the ones named, as executables on the test's PATH. */
function presentExcept(...missing: string[]): void {
  for (const program of ['redis-server', 'chromium', 'prometheus', 'promtool']) if (!missing.includes(program)) executable(program);
}

test('everything present: exits 0 and never calls apt-get', () => {
  presentExcept();
  fakeAptGet();
  expect(ensure()).toEqual({ status: 0, stdout: '', stderrLines: [] });
  expect(aptCalls()).toEqual([]);
});

test('REDIS_SERVER_BIN, CHROME_PATH, PROMETHEUS_BIN and PROMTOOL_BIN count as present', () => {
  fakeAptGet();
  const env = {
    REDIS_SERVER_BIN: executable('my-redis'),
    CHROME_PATH: executable('my-chrome'),
    PROMETHEUS_BIN: executable('my-prometheus'),
    PROMTOOL_BIN: executable('my-promtool'),
  };
  expect(ensure(env).status).toBe(0);
  expect(aptCalls()).toEqual([]);
});

test('missing and no apt-get: one line naming what to install, exit code 1, never a skip', () => {
  const { status, stdout, stderrLines } = ensure();
  expect(status).toBe(1);
  expect(stdout).toBe('');
  expect(stderrLines).toHaveLength(1);
  expect(stderrLines[0]).toContain('redis-server');
  expect(stderrLines[0]).toContain('chromium');
  expect(stderrLines[0]).toContain('prometheus');
});

test('only the missing program is named', () => {
  presentExcept('redis-server');
  const { status, stderrLines } = ensure();
  expect(status).toBe(1);
  expect(stderrLines).toHaveLength(1);
  expect(stderrLines[0]).toContain('redis-server');
  expect(stderrLines[0]).not.toContain('chromium');
});

test('a CHROME_PATH that points at nothing is a misconfiguration, not something to install', () => {
  presentExcept('chromium');
  fakeAptGet();
  const { status, stderrLines } = ensure({ CHROME_PATH: join(bin, 'no-such-chrome') });
  expect(status).toBe(1);
  expect(stderrLines).toHaveLength(1);
  expect(stderrLines[0]).toContain('CHROME_PATH');
  expect(aptCalls()).toEqual([]);
});

if (IS_ROOT) {
  test('missing, as root with apt-get: one update, then one non-interactive install of every missing package', () => {
    fakeAptGet();
    const { status, stderrLines } = ensure();
    expect(stderrLines).toEqual([]);
    expect(status).toBe(0);
    // prometheus and promtool come from one package: it is named once.
    expect(aptCalls()).toEqual(['update -qq', 'install -y -qq --no-install-recommends redis-server chromium prometheus']);
  });

  test('apt-get "succeeds" but the program is still missing: one line, exit code 1', () => {
    fakeAptGet(false);
    const { status, stderrLines } = ensure();
    expect(status).toBe(1);
    expect(stderrLines).toHaveLength(1);
    expect(aptCalls()).toHaveLength(2);
  });
} else {
  test('missing, not root, apt-get present: one line naming what to install, apt-get never called', () => {
    fakeAptGet();
    const { status, stderrLines } = ensure();
    expect(status).toBe(1);
    expect(stderrLines).toHaveLength(1);
    expect(aptCalls()).toEqual([]);
  });
}
