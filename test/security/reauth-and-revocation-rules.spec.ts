/**
 * Re-auth and revocation rules, over the wire, against both adapters (issue #13 items 5, 6, 10, 11, 12):
 * - a re-auth (or handshake) whose token is revoked while the store lookup is in flight is refused;
 * - a re-auth token with the same `iat` as the one in force may not grant more (A → B → A);
 * - a subject revocation covers tokens whose `iat` runs ahead within the issuer's clock skew, their sockets and
 *   their reconnects, while a login right after the revocation works at once when the issuer's clock is trusted;
 * - a revocation store whose retention cannot cover the tokens the verifier accepts is refused at start-up, and
 *   one that is long enough keeps a revoked long-lived token out after a day.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { MemoryRevocationStore } from '@sockauth/core';
import { createChatServer } from '../../examples/socketio-chat/src/app';
import { loadConfig } from '../../examples/chat-common/src/config';
import { MAX_TTL_SEC } from '../../examples/chat-common/src/identity-provider';
import { adminToken, ask, connectWith, login, post, uniqueUser } from '../contract/helpers';
import { CONTRACT_SECRET } from '../contract/servers';
import { ADAPTERS, type AdapterServer } from '../support/adapters';
import { quietPeriod } from '../support/async';
import { closeAfterTest } from '@sockauth/testing';
import { laggingStore } from '../../packages/core/test/lagging-store';
import { startRedis, type RedisServer } from '../support/redis';
import { RedisRevocationStore } from '@sockauth/redis';
import { nextEvent, type ClientSocket } from '../support/clients';
import { claimsFor, hsVerifier, nowSec, signHs } from '../support/hostile-tokens';
import { refusal, useHarness } from './harness';

const h = useHarness();

function refreshRefused(code: Parameters<typeof refusal>[0]) {
  return { ok: false, error: { ...refusal(code), message: expect.any(String) } };
}
function denied(code: Parameters<typeof refusal>[0]) {
  return { error: { ...refusal(code), message: expect.any(String) } };
}

async function expectCut(socket: ClientSocket, cutting: Promise<unknown>): Promise<void> {
  const error = nextEvent(socket, 'auth:error');
  const gone = nextEvent(socket, 'disconnect');
  await cutting;
  await expect(error).resolves.toEqual({ ...refusal('AUTH_REVOKED'), message: expect.any(String) });
  await expect(gone).resolves.toBe('io server disconnect');
}

describe.each(ADAPTERS)('%s: a revocation while the store lookup is in flight (item 5)', (_name, start) => {
  test('re-auth: the new token revoked after the lookup answered → AUTH_REVOKED, the context in force is kept', async () => {
    const { store, holdNextLookup } = laggingStore();
    const server = await h.start(start, { auth: { revocationStore: store } });
    const T = nowSec();
    const first = h.secret(await signHs(h.keys, claimsFor('alice', { jti: 'a-1', scope: 'chat:write', iat: T - 10 })));
    const socket = await h.connect(server.url, { auth: { token: first } });
    const next = h.secret(await signHs(h.keys, claimsFor('alice', { jti: 'a-2', scope: 'chat:write', iat: T })));

    const lookup = holdNextLookup();
    const reply = h.ack(socket, 'auth:refresh', { token: next });
    await lookup.asked; // the store said "not revoked" ...
    await expect(server.sockAuth.revoke({ tokenId: 'a-2' })).resolves.toEqual({ disconnected: 0 }); // ... then this
    lookup.release();

    await expect(reply).resolves.toEqual(refreshRefused('AUTH_REVOKED'));
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ ok: true, subject: 'alice', version: 1 });
    // The socket still runs on a-1, which is not revoked; a-2 never came into force.
    expect(socket.connected).toBe(true);
  });

  test('handshake: the token revoked after the lookup answered → AUTH_REVOKED, no connection', async () => {
    const { store, holdNextLookup } = laggingStore();
    const server = await h.start(start, { auth: { revocationStore: store } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { jti: 'h-1' })));
    const lookup = holdNextLookup();
    const refused = h.refused(server.url, { auth: { token } });
    await lookup.asked;
    await server.sockAuth.revoke({ tokenId: 'h-1' });
    lookup.release();
    expect((await refused).data).toEqual(refusal('AUTH_REVOKED'));
    expect(server.connections).toEqual([]);
    expect(server.sockAuth.size).toBe(0);
  });
});

describe.each(ADAPTERS)('%s: re-auth with a token of the same iat (item 6)', (_name, start) => {
  async function connectedWith(server: AdapterServer, claims: Record<string, unknown>): Promise<ClientSocket> {
    return h.connect(server.url, { auth: { token: h.secret(await signHs(h.keys, claims)) } });
  }

  test('A → B → A with the same iat and no jti: A (and any other token of that second) cannot bring back what B lacks', async () => {
    const server = await h.start(start);
    const T = nowSec() - 10;
    const admin = { ...claimsFor('alice', { scope: 'chat:write chat:admin' }, T) };
    const socket = await connectedWith(server, admin);
    await expect(h.ack(socket, 'admin:kick')).resolves.toMatchObject({ ok: true });

    const downgraded = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write' }, T)));
    await expect(h.ack(socket, 'auth:refresh', { token: downgraded })).resolves.toMatchObject({ ok: true, version: 2 });
    await expect(h.ack(socket, 'admin:kick')).resolves.toEqual(denied('AUTH_FORBIDDEN'));

    const again = h.secret(await signHs(h.keys, admin));
    await expect(h.ack(socket, 'auth:refresh', { token: again })).resolves.toEqual(refreshRefused('AUTH_STALE'));
    // Another token of the same second, never presented here, with more: refused too.
    const sibling = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write chat:admin', jti: 'x' }, T)));
    await expect(h.ack(socket, 'auth:refresh', { token: sibling })).resolves.toEqual(refreshRefused('AUTH_STALE'));

    await expect(h.ack(socket, 'admin:kick')).resolves.toEqual(denied('AUTH_FORBIDDEN'));
    await expect(h.ack(socket, 'whoami')).resolves.toMatchObject({ ok: true, version: 2 });
  });

  test('a token of the same second that grants nothing more is accepted (two tokens minted in one second); a newer one may grant more', async () => {
    const server = await h.start(start);
    const T = nowSec() - 10;
    const socket = await connectedWith(server, claimsFor('alice', { scope: 'chat:write chat:admin', jti: 't-1' }, T));
    const twin = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:admin chat:write', jti: 't-2' }, T)));
    await expect(h.ack(socket, 'auth:refresh', { token: twin })).resolves.toMatchObject({ ok: true, version: 2 });
    const fewer = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write', jti: 't-3', exp: T + 3_600 }, T)));
    await expect(h.ack(socket, 'auth:refresh', { token: fewer })).resolves.toMatchObject({ ok: true, version: 3 });
    const newer = h.secret(await signHs(h.keys, claimsFor('alice', { scope: 'chat:write chat:admin', jti: 't-4' }, T + 1)));
    await expect(h.ack(socket, 'auth:refresh', { token: newer })).resolves.toMatchObject({ ok: true, version: 4 });
    await expect(h.ack(socket, 'admin:kick')).resolves.toMatchObject({ ok: true });
  });
});

describe.each(ADAPTERS)('%s: subject revocation and the issuer clock (items 10, 12)', (_name, start) => {
  test('a token whose iat runs 3 s ahead (inside the 5 s tolerance) is revoked: its socket is cut and it cannot reconnect', async () => {
    const server = await h.start(start);
    const ahead = h.secret(await signHs(h.keys, claimsFor('alice', { iat: nowSec() + 3 })));
    const socket = await h.connect(server.url, { auth: { token: ahead } });
    await expectCut(socket, expect(server.sockAuth.revoke({ subject: 'alice' })).resolves.toEqual({ disconnected: 1 }));
    expect((await h.refused(server.url, { auth: { token: ahead } })).data).toEqual(refusal('AUTH_REVOKED'));
  });

  test('a re-auth with a token minted ahead before the revocation is refused too', async () => {
    const server = await h.start(start);
    const socket = await h.connect(server.url, {
      auth: { token: h.secret(await signHs(h.keys, claimsFor('alice', { iat: nowSec() + 30 }))) },
    });
    // The socket's token lies beyond the skew: it stays. The token minted ahead within the skew is revoked.
    await expect(server.sockAuth.revoke({ subject: 'alice' })).resolves.toEqual({ disconnected: 0 });
    const ahead = h.secret(await signHs(h.keys, claimsFor('alice', { iat: nowSec() + 4, exp: nowSec() + 600 })));
    await expect(h.ack(socket, 'auth:refresh', { token: ahead })).resolves.toEqual(refreshRefused('AUTH_REVOKED'));
  });

  test('with the issuer clock trusted (issuerClockSkewSec: 0) a login right after the revocation works at once; older tokens stay revoked', async () => {
    const server = await h.start(start, { auth: { issuerClockSkewSec: 0 } });
    const before = h.secret(await signHs(h.keys, claimsFor('alice', { iat: Date.now() / 1000 })));
    const socket = await h.connect(server.url, { auth: { token: before } });
    await expectCut(socket, server.sockAuth.revoke({ subject: 'alice' }));
    // An identity provider sharing the server's clock, stamping iat in ms: issued after the revocation.
    const fresh = h.secret(await signHs(h.keys, claimsFor('alice', { iat: Date.now() / 1000 + 0.001 })));
    const again = await h.connect(server.url, { auth: { token: fresh } });
    await expect(h.ack(again, 'whoami')).resolves.toMatchObject({ ok: true, subject: 'alice' });
    expect((await h.refused(server.url, { auth: { token: before } })).data).toEqual(refusal('AUTH_REVOKED'));
  });
});

describe.each(ADAPTERS)('%s: two nodes on Redis: the skew travels with the revocation (item 10)', (_name, start) => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  async function node(issuerClockSkewSec?: number): Promise<AdapterServer> {
    const revocationStore = new RedisRevocationStore({ url: redis.url, keyPrefix: 'h3:', healthCheckIntervalMs: 0 });
    closeAfterTest(() => revocationStore.close());
    await revocationStore.ready();
    return h.start(start, { auth: { revocationStore, ...(issuerClockSkewSec !== undefined && { issuerClockSkewSec }) } });
  }

  test('revoked on A (default skew), a token 3 s ahead is cut on B (configured with skew 0) and refused there', async () => {
    const [a, b] = [await node(), await node(0)];
    const ahead = h.secret(await signHs(h.keys, claimsFor('alice', { iat: nowSec() + 3 })));
    const socket = await h.connect(b.url, { auth: { token: ahead } });
    await expectCut(socket, a.sockAuth.revoke({ subject: 'alice' }));
    expect((await h.refused(b.url, { auth: { token: ahead } })).data).toEqual(refusal('AUTH_REVOKED'));
  });
});

describe.each(ADAPTERS)('%s: revocation retention (item 11)', (_name, start) => {
  const DAY = 86_400;

  test('a store that forgets revocations before maxTokenAgeSec runs out is refused at start-up (TypeError)', async () => {
    const revocationStore = new MemoryRevocationStore({ retentionSec: DAY });
    await expect(
      h.start(start, { auth: { verifier: hsVerifier(h.keys, { maxTokenAgeSec: 2 * DAY }), revocationStore } }),
    ).rejects.toThrow(TypeError);
  });

  test('a retention that covers maxTokenAgeSec keeps a revoked two-day token out after a day', async () => {
    let clock = nowSec() * 1000;
    const now = () => clock;
    const revocationStore = new MemoryRevocationStore({ retentionSec: 2 * DAY + 10, now });
    const server = await h.start(start, {
      auth: { verifier: hsVerifier(h.keys, { maxTokenAgeSec: 2 * DAY, now }), revocationStore },
    });
    const T = clock / 1000;
    const token = h.secret(await signHs(h.keys, claimsFor('alice', { exp: T + 2 * DAY }, T)));
    const socket = await h.connect(server.url, { auth: { token } });
    await expectCut(socket, server.sockAuth.revoke({ subject: 'alice' }));
    clock += (DAY + 3_600) * 1000;
    expect((await h.refused(server.url, { auth: { token } })).data).toEqual(refusal('AUTH_REVOKED'));
  });

  test('without maxTokenAgeSec, a token that outlives the retention is logged once as a warning', async () => {
    const server = await h.start(start, { auth: { revocationStore: new MemoryRevocationStore({ retentionSec: 3_600 }) } });
    const long = h.secret(await signHs(h.keys, claimsFor('alice', { exp: nowSec() + 7_200 })));
    await h.connect(server.url, { auth: { token: long } });
    await h.connect(server.url, { auth: { token: long } });
    const warnings = h.log.logRecords.filter((record) => record['sockauth'] === 'retention-too-short');
    expect(warnings).toEqual([expect.objectContaining({ level: 40, subject: 'alice', retentionSec: 3_600 })]);
  });
});

describe('the demo (examples/socketio-chat): revocation settings (items 11, 12)', () => {
  async function startDemo() {
    const chat = await createChatServer(loadConfig({ PORT: '0', JWT_SECRET: CONTRACT_SECRET }));
    closeAfterTest(() => chat.close());
    return chat;
  }

  test('a user revoked by subject logs in again at once, in the same second as the revocation', async () => {
    const chat = await startDemo();
    const user = uniqueUser();
    const first = await connectWith(chat.url, (await login(chat.url, user)).accessToken);
    // Start early in a second, so the revocation and the new login share it (iat used to have whole seconds).
    await quietPeriod(1_000 - (Date.now() % 1_000));
    const cut = nextEvent(first, 'disconnect');
    const revoked = await post(chat.url, '/auth/revoke', { subject: user }, { authorization: `Bearer ${await adminToken()}` });
    expect(revoked).toMatchObject({ status: 200, body: { disconnected: 1 } });
    await expect(cut).resolves.toBe('io server disconnect');
    const again = await connectWith(chat.url, (await login(chat.url, user)).accessToken);
    await expect(ask(again, 'whoami')).resolves.toMatchObject({ subject: user, version: 1 });
  });

  test('revocations are kept as long as the longest token the demo mints, and demo:token mints nothing longer', async () => {
    const chat = await startDemo();
    expect(chat.auth.revocationStore.retentionSec).toBeGreaterThanOrEqual(MAX_TTL_SEC + 5);
    const tsx = resolve(__dirname, '../../node_modules/.bin/tsx');
    const child = spawn(tsx, ['--conditions=@sockauth/source', 'examples/socketio-chat/src/mint-token.ts', '--sub', 'root', '--ttl', String(MAX_TTL_SEC + 1)], {
      cwd: resolve(__dirname, '../..'),
      env: { ...process.env, JWT_SECRET: CONTRACT_SECRET },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const code = await new Promise<number | null>((done) => child.once('close', done));
    expect(code).toBe(1);
    expect(stdout).toBe('');
  }, 30_000);
});
