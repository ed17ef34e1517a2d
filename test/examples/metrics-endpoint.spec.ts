/**
 * `GET /metrics` on both demo servers (started as child processes, like `npm run demo` / `demo:nest`): the
 * Prometheus counters move as sockets are accepted, refused, re-authenticated, revoked and closed.
 */
import { closeAll } from '@sockauth/testing';
import { nextEvent, refused } from '../support/clients';
import { adminToken, ask, connectWith, get, login, post, uniqueUser } from '../contract/helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, type RunningServer } from '../contract/servers';

afterEach(closeAll);

/** The value of one sample of the Prometheus text (0 when the series does not exist yet). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const { status, headers, body } = await get(url, '/metrics');
  expect(status).toBe(200);
  expect(headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return body as string;
}

describe.each(contractServers)('$name: GET /metrics', (server) => {
  let running: RunningServer;
  beforeAll(async () => {
    running = await server.start({});
  }, SERVER_HOOK_TIMEOUT_MS);
  afterAll(() => running?.stop());

  test('shows the counters moving: handshakes, re-auths, revocations, live sockets, verify latency', async () => {
    const url = running.url;
    const before = await scrape(url);
    const accepted = 'sockauth_handshakes_total{stage="handshake",outcome="accepted"}';
    const invalid = 'sockauth_handshakes_total{stage="handshake",outcome="refused",code="AUTH_INVALID"}';
    const reauths = 'sockauth_reauths_total{outcome="accepted"}';
    const revoked = 'sockauth_revocations_total{kind="subject"}';
    const verified = 'sockauth_verify_duration_seconds_count{stage="handshake",outcome="accepted"}';

    const user = uniqueUser('metrics');
    const tokens = await login(url, user);
    const socket = await connectWith(url, tokens.accessToken);
    const error = await refused(url, { auth: { token: `${tokens.accessToken.slice(0, -4)}AAAA` } });
    expect(error.data).toEqual({ code: 'AUTH_INVALID', action: 'login' });
    const fresh = await post(url, '/auth/refresh', { refreshToken: tokens.refreshToken });
    await expect(ask(socket, 'auth:refresh', { token: fresh.body.accessToken })).resolves.toMatchObject({ ok: true });

    const during = await scrape(url);
    expect(sample(during, accepted) - sample(before, accepted)).toBe(1);
    expect(sample(during, invalid) - sample(before, invalid)).toBe(1);
    expect(sample(during, reauths) - sample(before, reauths)).toBe(1);
    expect(sample(during, verified) - sample(before, verified)).toBe(1);
    expect(sample(during, 'sockauth_authenticated_sockets')).toBe(sample(before, 'sockauth_authenticated_sockets') + 1);

    const cut = nextEvent(socket, 'disconnect');
    const revocation = await post(url, '/auth/revoke', { subject: user }, { authorization: `Bearer ${await adminToken()}` });
    expect(revocation.status).toBe(200);
    await cut;
    const after = await scrape(url);
    expect(sample(after, revoked) - sample(before, revoked)).toBe(1);
    expect(sample(after, 'sockauth_authenticated_sockets')).toBe(sample(before, 'sockauth_authenticated_sockets'));
    // Nothing of a token in the metrics.
    expect(after).not.toContain(tokens.accessToken.split('.')[2]!.slice(0, 12));
  });
});
