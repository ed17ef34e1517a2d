/**
 * The demo page in a real browser: Debian's chromium driven by playwright-core, loading `GET /` of each demo
 * server (examples/socketio-chat and examples/nestjs-chat on Socket.IO, examples/ws-chat on plain WebSockets: the
 * same page, each with its flavour of @sockauth/client), started exactly like `npm run demo` / `demo:nest` /
 * `demo:ws`, as a child process on a free loopback port.
 * Everything is asserted in the page: the bundled @sockauth/client refreshes a short-lived token in band without
 * reconnecting, and a revoked session brings the login prompt back.
 *
 * Never skipped: without a browser the suite fails and says how to get one (`npm test` installs it when it can).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { adminToken, uniqueRoom, uniqueUser } from '../contract/helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, wsContractServers, type RunningServer } from '../contract/servers';

/** CHROME_PATH, else `chromium` on PATH (what `npm test` checks before it starts: scripts/ensure-system-deps.mjs), else Debian's. */
const CHROME =
  process.env['CHROME_PATH'] ||
  (process.env['PATH'] ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'chromium'))
    .find((file) => existsSync(file)) ||
  '/usr/bin/chromium';
const CHROME_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
/** The server warns 2 s before expiry and cuts exactly at `exp`: a refresh that comes late is visible as a cut. */
const SERVER_ENV = { WARN_BEFORE_SEC: '2', CLOCK_TOLERANCE_SEC: '0' };

/** What public-src/app.ts exposes on `window.sockauthDemo`. */
interface DemoProbe {
  status?: { state: string; socketId?: string; version?: number; expiresAt?: number; error?: { code: string } };
  connects: string[];
  refreshes: number[];
  unauthenticated: string[];
}

jest.setTimeout(60_000);

let context: BrowserContext | undefined;
let profile: string | undefined;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  if (!existsSync(CHROME)) {
    throw new Error(
      `No chromium at ${CHROME}. The browser test never skips: \`npm test\` installs it (scripts/ensure-system-deps.mjs)` +
        ' when it can; otherwise install it with `apt-get install -y chromium`, or point CHROME_PATH at a Chromium/Chrome binary.',
    );
  }
  // A fresh profile: no cache, no service worker, nothing from another run.
  profile = mkdtempSync(join(tmpdir(), 'sockauth-chromium-'));
  context = await chromium.launchPersistentContext(profile, { executablePath: CHROME, headless: true, args: CHROME_ARGS });
});

afterAll(async () => {
  await context?.close();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

describe.each([...contractServers, ...wsContractServers].map((candidate) => [candidate.name, candidate] as const))('%s', (_name, candidate) => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await candidate.start(SERVER_ENV);
  }, SERVER_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await server?.stop();
  });

  beforeEach(async () => {
    page = await context!.newPage();
    pageErrors = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(server.url + '/');
  });

  afterEach(async () => {
    await page.close();
  });

  /** The page's probe, through JSON (an AuthError serialises as `{ code, action, message }`). */
  const probe = (): Promise<DemoProbe> =>
    page.evaluate(() => JSON.parse(JSON.stringify((globalThis as unknown as { sockauthDemo: DemoProbe }).sockauthDemo)));

  /** Logs in through the page's form and waits until the client is authenticated. */
  async function logIn(user: string, ttlSec: number): Promise<DemoProbe> {
    await page.fill('#user', user);
    await page.fill('#ttl', String(ttlSec));
    await page.click('#login button');
    await page.waitForFunction(
      () => (globalThis as unknown as { sockauthDemo: DemoProbe }).sockauthDemo.status?.state === 'authenticated',
    );
    return probe();
  }

  test('a 5-second token is refreshed in band before it expires: same socket, version 2, 3…, no reconnect', async () => {
    const first = await logIn(uniqueUser('browser'), 5);
    const socketId = first.status!.socketId!;
    const firstExpiry = first.status!.expiresAt!;
    expect(first.status!.version).toBe(1);
    expect(first.connects).toEqual([socketId]);

    // Two refreshes, and the socket outlives its first token (the server cuts at `exp` exactly).
    await page.waitForFunction(
      (until) => {
        const demo = (globalThis as unknown as { sockauthDemo: DemoProbe }).sockauthDemo;
        return demo.refreshes.length >= 2 && Date.now() > until;
      },
      firstExpiry + 1_000,
      { timeout: 20_000 },
    );

    const after = await probe();
    expect(after.status).toMatchObject({ state: 'authenticated', socketId });
    expect(after.status!.version).toBeGreaterThanOrEqual(3);
    expect(after.status!.expiresAt).toBeGreaterThan(firstExpiry);
    expect(after.refreshes.slice(0, 2)).toEqual([2, 3]);
    expect(after.connects).toEqual([socketId]); // never reconnected
    expect(after.unauthenticated).toEqual([]);
    // The status panel shows the same.
    expect(await page.textContent('#state')).toBe('authenticated');
    expect(await page.textContent('#socket-id')).toBe(socketId);
    expect(Number(await page.textContent('#version'))).toBeGreaterThanOrEqual(3);
    expect(await page.isHidden('#login-prompt')).toBe(true);

    // And the chat works on the refreshed socket (chat:send goes through idempotent()).
    const room = uniqueRoom();
    await page.fill('#room', room);
    await page.click('#join button:not(#refresh)');
    await page.waitForSelector(`#log li:has-text("joined #${room}")`);
    await page.fill('#text', 'hello from chromium');
    await page.click('#send button');
    await page.waitForSelector('#log li:has-text("hello from chromium")');
    expect((await probe()).connects).toEqual([socketId]);
    expect(pageErrors).toEqual([]);
  });

  test('a revoked session shows the login prompt, once, without a reconnect loop', async () => {
    const user = uniqueUser('revoked');
    const before = await logIn(user, 60);
    // An operator's admin token, minted with the server's JWT_SECRET.
    const admin = await adminToken();
    const response = await fetch(`${server.url}/auth/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: user }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ disconnected: 1 });

    await page.waitForSelector('#login-prompt', { state: 'visible' });
    expect(await page.textContent('#login-reason')).toContain('AUTH_REVOKED');
    expect(await page.textContent('#state')).toBe('unauthenticated');

    // Give a loop time to show itself: still one connection, one event, no new attempt.
    await page.waitForTimeout(1_500);
    const after = await probe();
    expect(after.status).toMatchObject({ state: 'unauthenticated', error: { code: 'AUTH_REVOKED' } });
    expect(after.unauthenticated).toEqual(['AUTH_REVOKED']);
    expect(after.connects).toEqual(before.connects);
    expect(after.connects).toHaveLength(1);
    expect(pageErrors).toEqual([]);
  });

  if (wsContractServers.includes(candidate)) {
    test('plain WebSockets: the page connects to /ws with the token in the subprotocols, never in the URL', async () => {
      const sockets: string[] = [];
      page.on('websocket', (socket) => sockets.push(socket.url()));
      const { status } = await logIn(uniqueUser('ws'), 60);
      expect(status!.socketId).toBe('ws-1');
      expect(sockets).toEqual([`${server.url.replace(/^http/, 'ws')}/ws`]);
      expect(pageErrors).toEqual([]);
    });
  }
});
