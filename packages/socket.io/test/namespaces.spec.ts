/**
 * One `attach(io)` authenticates every namespace: static ones created before or after it, and dynamic
 * (regex and function) ones. Leaving a namespace open takes an explicit `skipNamespaces` entry.
 */
import { closeAll, connectAs } from '@sockauth/testing';
import type { Socket } from 'socket.io';
import { installApp } from '../../../test/support/app';
import { startServer } from '../../../test/support/servers';
import { mint } from '../../../test/support/tokens';

afterEach(closeAll);

/** Asserts that `nsp` refuses a client without a token and authenticates one with a token. */
async function expectProtected(url: string, nsp: string): Promise<void> {
  await expect(connectAs(url, undefined, { namespace: nsp })).toBeRefusedWith('AUTH_MISSING', { action: 'login' });
  const socket = await connectAs(url, await mint({ sub: 'alice' }), { namespace: nsp });
  expect((await socket.emitWithAck('whoami')).subject).toBe('alice');
}

test('attach covers the main namespace', async () => {
  const server = await startServer();
  installApp(server.io, server.auth);

  await expectProtected(server.url, '/');
});

test('attach covers a namespace created before it', async () => {
  const server = await startServer({ beforeAttach: (io) => void io.of('/admin') });
  const log = installApp(server.io, server.auth, { nsp: '/admin' });

  await expectProtected(server.url, '/admin');
  expect(log.runs.map((run) => run.context?.subject)).toEqual(['alice']);
});

test('attach covers a namespace created after it', async () => {
  const server = await startServer();
  const log = installApp(server.io, server.auth, { nsp: '/late' });

  await expectProtected(server.url, '/late');
  expect(log.count('whoami')).toBe(1);
});

test('attach covers dynamic namespaces matched by a regex, whether the regex was registered before or after', async () => {
  const handled: string[] = [];
  let contextOf: (socket: Socket) => string | undefined = () => undefined;
  const onConnection = (socket: Socket): void => {
    socket.on('whoami', (ack: (value: unknown) => void) => {
      handled.push(`${socket.nsp.name}:${contextOf(socket)}`);
      ack({ subject: contextOf(socket) });
    });
  };
  const server = await startServer({ beforeAttach: (io) => void io.of(/^\/tenant-\d+$/).on('connection', onConnection) });
  contextOf = (socket) => server.auth.contextOf(socket)?.subject;
  server.io.of(/^\/team-[a-z]+$/).on('connection', onConnection);

  await expectProtected(server.url, '/tenant-1');
  await expectProtected(server.url, '/tenant-42');
  await expectProtected(server.url, '/team-red');

  expect(handled.sort()).toEqual(['/team-red:alice', '/tenant-1:alice', '/tenant-42:alice']);
});

test('attach covers namespaces accepted by a dynamic namespace function', async () => {
  const server = await startServer();
  server.io.of((name, _auth, next) => next(null, name.startsWith('/room-'))).on('connection', (socket) => {
    socket.on('whoami', (ack: (value: unknown) => void) => ack({ subject: server.auth.contextOf(socket)?.subject }));
  });

  await expectProtected(server.url, '/room-7');
});

test('one client multiplexing several namespaces is authenticated in each of them separately', async () => {
  const server = await startServer();
  installApp(server.io, server.auth);
  installApp(server.io, server.auth, { nsp: '/admin' });
  const token = await mint({ sub: 'alice' });

  const main = await connectAs(server.url, token, { forceNew: false });
  const admin = await connectAs(server.url, token, { namespace: '/admin', forceNew: false });

  expect(admin.io).toBe(main.io);
  expect((await main.emitWithAck('whoami')).subject).toBe('alice');
  expect((await admin.emitWithAck('whoami')).subject).toBe('alice');
  expect(server.auth.size).toBe(2);
});

test('skipNamespaces leaves exactly the listed namespaces open (names and patterns), and nothing else', async () => {
  const server = await startServer({ auth: { skipNamespaces: ['/public', /^\/open-/] } });
  const handled: string[] = [];
  for (const nsp of ['/public', '/open-lobby', '/private']) {
    server.io.of(nsp).on('connection', (socket) => {
      socket.on('anything', (ack: (value: unknown) => void) => {
        handled.push(nsp);
        ack({ context: server.auth.contextOf(socket) ?? null, data: socket.data.auth ?? null });
      });
    });
  }

  const open = await connectAs(server.url, undefined, { namespace: '/public' });
  const openByPattern = await connectAs(server.url, undefined, { namespace: '/open-lobby' });

  expect(await open.emitWithAck('anything')).toEqual({ context: null, data: null });
  expect(await openByPattern.emitWithAck('anything')).toEqual({ context: null, data: null });
  await expect(connectAs(server.url, undefined, { namespace: '/private' })).toBeRefusedWith('AUTH_MISSING', { action: 'login' });
  await expect(connectAs(server.url, undefined)).toBeRefusedWith('AUTH_MISSING', { action: 'login' });
  expect(handled).toEqual(['/public', '/open-lobby']);
});

test('attaching twice installs the middleware once', async () => {
  const authenticated: string[] = [];
  const server = await startServer({ auth: { hooks: { onAuthenticated: (info) => authenticated.push(info.namespace) } } });
  server.auth.attach(server.io);
  server.io.of('/after');

  await connectAs(server.url, await mint({ sub: 'alice' }));
  await connectAs(server.url, await mint({ sub: 'alice' }), { namespace: '/after' });

  expect(authenticated).toEqual(['/', '/after']);
});

test('a revocation cuts the subject in every namespace', async () => {
  const server = await startServer({ beforeAttach: (io) => void io.of('/admin') });
  const token = await mint({ sub: 'alice' });
  const main = await connectAs(server.url, token);
  const admin = await connectAs(server.url, token, { namespace: '/admin' });

  expect(await server.auth.revoke({ subject: 'alice' })).toEqual({ disconnected: 2 });
  await expect(main).toBeDisconnectedWith('AUTH_REVOKED');
  await expect(admin).toBeDisconnectedWith('AUTH_REVOKED');
});
