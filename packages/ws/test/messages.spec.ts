import { AuthForbiddenError } from '@sockauth/core';
import { createWsAuth } from '../src/index';
import { connectWs, startWsServer } from './support';
import { closeAll } from '@sockauth/testing';
import { hs256Verifier, mint } from '../../../test/support/tokens';

afterEach(closeAll);

const EVENTS = { whoami: null, 'chat:send': 'chat:write', 'admin:announce': 'chat:admin', 'shout:*': 'chat:write' };

describe('ws envelope', () => {
  test('frames that are not messages are acked BAD_REQUEST when an id can be read, else ignored; the connection stays', async () => {
    const { url } = await startWsServer();
    const client = await connectWs(url, await mint({ sub: 'alice' }));
    client.sendRaw('{"type":'); // not JSON, no id: ignored
    client.sendRaw('[1,2,3]'); // not an object: ignored
    client.sendRaw(JSON.stringify({ id: 'x', data: 1 })); // no type
    client.sendRaw(JSON.stringify({ type: 7, id: 8 })); // type not a string
    client.sendRaw(Buffer.from(JSON.stringify({ type: 'whoami', id: 9 })), true); // binary
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
    const acks = client.frames.filter((frame) => frame.type === 'ack');
    expect(acks.map((ack) => ack.id)).toEqual(['x', 8, 9, 1]);
    for (const ack of acks.slice(0, 3)) expect(ack.data).toMatchObject({ error: { code: 'BAD_REQUEST', action: 'none' } });
    expect(client.ws.readyState).toBe(client.ws.OPEN);
  });

  test('a frame over maxPayload closes the connection with 1009', async () => {
    const { url } = await startWsServer({ maxPayload: 1024 });
    const client = await connectWs(url, await mint({ sub: 'alice' }));
    client.sendRaw(JSON.stringify({ type: 'whoami', id: 1, data: 'x'.repeat(2048) }));
    expect((await client.closed).code).toBe(1009);
  });

  test('the default limit is 64 KiB', async () => {
    const { url } = await startWsServer();
    const client = await connectWs(url, await mint({ sub: 'alice' }));
    expect(await client.request('whoami', 'x'.repeat(60 * 1024))).toMatchObject({ subject: 'alice' });
    client.sendRaw(JSON.stringify({ type: 'whoami', data: 'x'.repeat(65 * 1024) }));
    expect((await client.closed).code).toBe(1009);
  });

  test('a message without an id gets no ack; an allowed type without a handler is acked BAD_REQUEST', async () => {
    const { url } = await startWsServer({ events: EVENTS });
    const client = await connectWs(url, await mint({ sub: 'alice', scope: 'chat:write' }));
    client.sendRaw(JSON.stringify({ type: 'whoami' }));
    expect(await client.request('shout:loud', 'hi')).toMatchObject({ error: { code: 'BAD_REQUEST' } });
    expect(client.frames.filter((frame) => frame.type === 'ack')).toHaveLength(1);
  });
});

describe('ws per-type permissions', () => {
  test('each type needs its permissions: denied AUTH_FORBIDDEN acks, the handler never runs, the connection stays', async () => {
    const server = await startWsServer({ events: EVENTS });
    const handled: string[] = [];
    server.wsAuth.on('chat:send', (data) => {
      handled.push(`send:${String(data)}`);
      return { ok: true };
    });
    server.wsAuth.on('admin:announce', () => {
      handled.push('announce');
      return { ok: true };
    });
    server.wsAuth.on('unlisted', () => {
      handled.push('unlisted');
      return { ok: true };
    });
    const reader = await connectWs(server.url, await mint({ sub: 'alice', scope: 'chat:read' }));
    expect(await reader.request('chat:send', 'hi')).toMatchObject({ error: { code: 'AUTH_FORBIDDEN', action: 'none' } });
    expect(await reader.request('admin:announce')).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    expect(await reader.request('unlisted')).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    const writer = await connectWs(server.url, await mint({ sub: 'bob', scope: 'chat:write' }));
    expect(await writer.request('chat:send', 'hello')).toEqual({ ok: true });
    expect(handled).toEqual(['send:hello']);
    expect(reader.ws.readyState).toBe(reader.ws.OPEN);
  });

  test('authorize sees [data] and can refuse; an AuthError thrown by a handler is acked like a refusal', async () => {
    const seen: unknown[] = [];
    const server = await startWsServer({
      events: EVENTS,
      authorize: (_context, action, args) => {
        seen.push([action, ...args]);
        return (args[0] as { room?: string } | undefined)?.room !== 'closed';
      },
    });
    server.wsAuth.on('chat:send', ({ room }: { room: string }) => {
      if (room === 'muted') throw new AuthForbiddenError('muted');
      return { ok: true, room };
    });
    const client = await connectWs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }));
    expect(await client.request('chat:send', { room: 'open' })).toEqual({ ok: true, room: 'open' });
    expect(await client.request('chat:send', { room: 'closed' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN' } });
    expect(await client.request('chat:send', { room: 'muted' })).toMatchObject({ error: { code: 'AUTH_FORBIDDEN', message: 'muted' } });
    expect(seen[0]).toEqual(['chat:send', { room: 'open' }]);
  });

  test('eventGate receives the WebSocket, the type, [data] and the context', async () => {
    let gateArgs: unknown[] = [];
    const server = await startWsServer({
      events: EVENTS,
      eventGate: (ws, event, args, context) => {
        gateArgs = [ws === undefined, event, args, context.subject];
        return undefined;
      },
    });
    const client = await connectWs(server.url, await mint({ sub: 'alice' }));
    await client.request('whoami', 42);
    expect(gateArgs).toEqual([false, 'whoami', [42], 'alice']);
  });

  test('a handler that throws something else is not acked (nothing of it reaches the client) and is logged', async () => {
    const records: unknown[] = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (record: unknown) => records.push(record) };
    const server = await startWsServer({ events: EVENTS, logger });
    server.wsAuth.on('chat:send', () => {
      throw new Error('database password is hunter2');
    });
    const client = await connectWs(server.url, await mint({ sub: 'alice', scope: 'chat:write' }));
    client.sendRaw(JSON.stringify({ type: 'chat:send', id: 'boom' }));
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
    expect(client.frames.filter((frame) => frame.type === 'ack').map((frame) => frame.id)).toEqual([1]);
    expect(records).toEqual([expect.objectContaining({ sockauth: 'handler-error', event: 'chat:send' })]);
  });
});

describe('ws check() for an application’s own protocol', () => {
  test('envelope: false: sockauth reads no frame; check() lets through or refuses with the reply to send', async () => {
    const server = await startWsServer({ events: EVENTS, envelope: false });
    const verdicts: unknown[] = [];
    server.wss.on('connection', (ws) => {
      ws.on('message', async (raw: Buffer) => {
        const [type, data] = raw.toString().split('|');
        const verdict = await server.wsAuth.check(ws, type!, data);
        verdicts.push(verdict.ok ? { ok: true, subject: verdict.context.subject } : verdict);
        ws.send(JSON.stringify({ type: 'done' }));
      });
    });
    expect(() => server.wsAuth.on('x', () => undefined)).toThrow(TypeError);
    const other = createWsAuth({ verifier: hs256Verifier() });
    expect(() => other.on('auth:refresh', () => undefined)).toThrow(/auth:refresh/);
    other.close();
    const client = await connectWs(server.url, await mint({ sub: 'alice', scope: 'chat:read' }));
    client.sendRaw('whoami|');
    await client.next((frame) => frame.type === 'done');
    client.sendRaw('chat:send|hi');
    await client.next((frame) => frame.type === 'done', 1);
    expect(verdicts).toEqual([{ ok: true, subject: 'alice' }, { ok: false, reply: { error: expect.objectContaining({ code: 'AUTH_FORBIDDEN' }) } }]);
  });
});
