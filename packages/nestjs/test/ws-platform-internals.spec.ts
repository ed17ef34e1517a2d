/**
 * The feature test of `src/ws-platform-internals.ts`: what `SockAuthWsAdapter` relies on in `@nestjs/platform-ws`
 * beyond its documented adapter interface, checked against the `@nestjs/platform-ws` in use (the ws platform suite,
 * `ws-platform.spec.ts`, covers the rest over the wire). `test/packaging/ws-versions.spec.ts` runs both on the lowest
 * and the newest `@nestjs/platform-ws` of the peer range.
 */
import fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import semver from 'semver';
import { WsAdapter } from '@nestjs/platform-ws';
import { closeAfterTest, closeAll } from '@sockauth/testing';
import { UnsupportedWsInternalsError, createWsAuth, type WsAuth } from '@sockauth/ws';
import { WebSocketServer } from 'ws';
import { assertOptionsPassedOn, assertOverriddenMethods, platformWsVersion } from '../src/ws-platform-internals';
import { TestClient, connectWs, refusal } from '../../ws/test/support';
import { hs256Verifier, mint } from '../../../test/support/tokens';

afterEach(closeAll);

const PEER_RANGE = (JSON.parse(fs.readFileSync(path.join(__dirname, '../package.json'), 'utf8')) as { peerDependencies: Record<string, string> })
  .peerDependencies['@nestjs/platform-ws']!;

function thrown(attempt: () => void): unknown {
  try {
    attempt();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** A listening HTTP server with a plain Nest `WsAdapter` on it, closed after the test. */
async function nestWsAdapter(): Promise<{ adapter: WsAdapter; http: Server; base: string }> {
  const http = createServer();
  const adapter = new WsAdapter(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  closeAfterTest(async () => {
    await adapter.dispose();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { adapter, http, base: `ws://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

/** `adapter.create` as Nest calls it for a gateway on the application's port, with sockauth's options. */
function createGatewayServer(adapter: WsAdapter, wsAuth: WsAuth, path: string): WebSocketServer {
  const server = adapter.create(0, { path, ...wsAuth.serverOptions }) as WebSocketServer;
  closeAfterTest(() => {
    wsAuth.close();
    for (const client of server.clients) client.terminate();
  });
  return server;
}

describe('@nestjs/platform-ws internals', () => {
  test('the version found is the @nestjs/platform-ws in use, inside the peer range', () => {
    const version = platformWsVersion();
    expect(semver.satisfies(version, PEER_RANGE)).toBe(true);
    const expected = process.env['SOCKAUTH_EXPECT_PLATFORM_WS_VERSION'];
    if (expected !== undefined) expect(version).toBe(expected);
  });

  test('WsAdapter has the methods SockAuthWsAdapter overrides; a WsAdapter without one is refused by name', () => {
    expect(() => assertOverriddenMethods()).not.toThrow();
    const renamed = { create() {}, bindClientConnect() {}, bindMessages() {} };
    expect(thrown(() => assertOverriddenMethods(renamed))).toMatchObject({
      name: 'UnsupportedWsInternalsError',
      member: 'WsAdapter#bindMessageHandlers',
      packageName: '@nestjs/platform-ws',
      version: platformWsVersion(),
    });
  });

  test("WsAdapter#create passes a gateway's options on to the ws server; a server without them is refused by name", async () => {
    const { adapter } = await nestWsAdapter();
    const wsAuth = createWsAuth({ verifier: hs256Verifier() });
    const server = createGatewayServer(adapter, wsAuth, '/ws');
    expect(() => assertOptionsPassedOn(server, wsAuth.serverOptions)).not.toThrow();
    const error = thrown(() => assertOptionsPassedOn(new WebSocketServer({ noServer: true }), wsAuth.serverOptions));
    expect(error).toBeInstanceOf(UnsupportedWsInternalsError);
    expect(error).toMatchObject({ member: 'WsAdapter#create', packageName: '@nestjs/platform-ws' });
  });

  test("Nest's upgrade routing runs verifyClient and emits 'connection' with the upgrade's request", async () => {
    const { adapter, base } = await nestWsAdapter();
    const wsAuth = createWsAuth({ verifier: hs256Verifier(), events: { whoami: null } });
    wsAuth.on('whoami', (_data, { context }) => ({ subject: context.subject }));
    const server = createGatewayServer(adapter, wsAuth, '/ws');
    wsAuth.attach(server);
    const seen: string[] = [];
    adapter.bindClientConnect(server, (ws: never) => seen.push(wsAuth.contextOf(ws)?.subject ?? 'refused'));
    const alice = await connectWs(`${base}/ws`, await mint({ sub: 'alice' }));
    expect(await alice.request('whoami')).toEqual({ subject: 'alice' });
    const close = await refusal(new TestClient(`${base}/ws`, { protocols: ['sockauth'] }));
    expect(close.reason).toEqual({ code: 'AUTH_MISSING', action: 'login' });
    expect(seen).toEqual(['alice', 'refused']);
  });
});
