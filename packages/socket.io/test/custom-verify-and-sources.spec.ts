import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { Server } from 'socket.io';
import { io as ioc, type Socket as ClientSocket } from 'socket.io-client';
import { createTestIssuer } from '@sockauth/testing';
import { sockAuth, type SockAuth, type TokenExtractor } from '../src/index.js';

const secret = 'custom-verify-and-sources-test-secret-0123456789';
const issuer = createTestIssuer({ secret, defaultTtlSec: 60 });
const mint = async (sub: string) => (await issuer).mint({ sub });

let io: Server | undefined;
let auth: SockAuth | undefined;
const clients: ClientSocket[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  auth?.close();
  await io?.close();
  io = undefined;
  auth = undefined;
});

async function start(options: Parameters<typeof sockAuth>[1]): Promise<string> {
  const http = createServer();
  io = new Server(http);
  auth = sockAuth(io, options);
  io.on('connection', (socket) => socket.on('whoami', (ack: (subject: unknown) => void) => ack(auth!.contextOf(socket)?.subject)));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
}

function connect(url: string, options: Parameters<typeof ioc>[1]): Promise<ClientSocket> {
  const client = ioc(url, { transports: ['websocket'], reconnection: false, forceNew: true, ...options });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('connect_error', reject);
  });
}

test('verifier options with a custom verify function are built into a verifier, not mistaken for one', async () => {
  const url = await start({ verifier: { algorithms: ['HS256'], verify: (token: string) => decodeJwt(token) }, events: { whoami: null } });
  const client = await connect(url, { auth: { token: await mint('alice') } });
  await expect(client.emitWithAck('whoami')).resolves.toBe('alice');
});

test('a custom token extractor finds the token in the handshake', async () => {
  const fromHeader: TokenExtractor = (handshake) => handshake.headers['x-access-token'];
  const url = await start({ verifier: { algorithms: ['HS256'], secret }, tokenSources: ['auth', fromHeader], unlistedEvents: 'authenticated' });
  const client = await connect(url, { extraHeaders: { 'x-access-token': await mint('bob') } });
  await expect(client.emitWithAck('whoami')).resolves.toBe('bob');
});

test('a custom extractor disagreeing with another source refuses the handshake with AUTH_INVALID', async () => {
  const fromHeader: TokenExtractor = (handshake) => handshake.headers['x-access-token'];
  const url = await start({ verifier: { algorithms: ['HS256'], secret }, tokenSources: ['auth', fromHeader] });
  const refused = connect(url, { auth: { token: await mint('carol') }, extraHeaders: { 'x-access-token': await mint('mallory') } });
  await expect(refused).rejects.toMatchObject({ data: { code: 'AUTH_INVALID', action: 'login' } });
});
