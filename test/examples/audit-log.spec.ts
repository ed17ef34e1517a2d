/**
 * `AUDIT_LOG=1` in both demos (examples/chat-common's `demoAuditTrail`, through `hooks`: the Socket.IO adapter's
 * option and `SockAuthModule`'s): started as a user would, each writes one JSON audit record per auth decision to
 * stderr, keeps stdout to the contract's single `listening on` line, and writes no piece of any token it saw.
 */
import { AUDIT_SCHEMA_VERSION } from '@sockauth/core';
import { adminToken, ask, connectWith, login, mint, post, uniqueUser } from '../contract/helpers';
import { SERVER_HOOK_TIMEOUT_MS, contractServers, type RunningServer } from '../contract/servers';
import { closeAll } from '@sockauth/testing';
import { nextEvent, refused } from '../support/clients';
import { secretFragments } from '../support/emissions';

afterEach(closeAll);

/** The audit records among the stderr lines (other lines: the demos' notices). */
function auditRecords(stderr: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((record) => record['audit'] === 'sockauth');
}

describe.each(contractServers.map((server) => [server.name, server] as const))('%s with AUDIT_LOG=1', (_name, contractServer) => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await contractServer.start({ AUDIT_LOG: '1' });
  }, SERVER_HOOK_TIMEOUT_MS);
  afterAll(() => server?.stop());

  test('one JSON record per decision on stderr, stdout untouched, no piece of any token', async () => {
    const forged = await mint({ sub: 'mallory' }, { secret: 'not-the-demo-secret-but-long-enough-0123456789' });
    await expect(refused(server.url, { auth: { token: forged } })).resolves.toMatchObject({ data: { code: 'AUTH_INVALID' } });

    const user = uniqueUser('alice');
    const tokens = await login(server.url, user);
    const socket = await connectWith(server.url, tokens.accessToken);
    const socketId = socket.id!;
    await expect(ask(socket, 'admin:announce', { text: 'hi' })).resolves.toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    const admin = await adminToken();
    const cut = nextEvent(socket, 'disconnect');
    await expect(post(server.url, '/auth/revoke', { subject: user }, { authorization: `Bearer ${admin}` })).resolves.toMatchObject({
      status: 200,
      body: { disconnected: 1 },
    });
    await cut;

    const stderr = await server.stderrUntil((text) =>
      auditRecords(text).some((record) => record['socketId'] === socketId && record['event'] === 'released'),
    );
    const records = auditRecords(stderr);
    for (const record of records) expect(record).toMatchObject({ schemaVersion: AUDIT_SCHEMA_VERSION, time: expect.any(Number), msg: expect.any(String) });
    expect(records).toContainEqual(expect.objectContaining({ event: 'handshake.refused', code: 'AUTH_INVALID', namespace: '/' }));
    expect(records.filter((record) => record['socketId'] === socketId).map((record) => [record['event'], record['subject'], record['code']])).toEqual([
      ['handshake.accepted', user, undefined],
      ['event.refused', user, 'AUTH_FORBIDDEN'], // the context in force refused it
      ['cut.revoked', user, 'AUTH_REVOKED'],
      ['released', user, undefined],
    ]);
    expect(server.stdout()).toBe(`listening on ${server.url}\n`);

    const pieces = secretFragments([forged, tokens.accessToken, tokens.refreshToken, admin].flatMap((token) => token.split('.')), 8);
    const leaked = [...pieces].filter((piece) => stderr.includes(piece));
    expect(leaked).toEqual([]);
  });
});
