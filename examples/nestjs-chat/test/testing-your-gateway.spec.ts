import { MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { AuthUser, RequirePermissions, SockAuthService } from '@sockauth/nestjs';
import { connectAs, createSockAuthTestingApp } from '@sockauth/testing';

// The gateway under test. In your project, import your own gateway (and its module's providers).
// No guard needed: SockAuthModule enforces @RequirePermissions by itself.
@WebSocketGateway()
class ChatGateway {
  @RequirePermissions('chat:write')
  @SubscribeMessage('chat:send')
  send(@AuthUser('subject') from: string, @MessageBody() text: string) {
    return { ok: true, from, text };
  }
}

const providers = [ChatGateway];

test('a writer can send, and the gateway sees who sent it', async () => {
  const { url, issuer } = await createSockAuthTestingApp({ providers }); // closed by the kit after the test
  const socket = await connectAs(url, { sub: 'alice', permissions: ['chat:write'] }, { issuer });
  await expect(socket.emitWithAck('chat:send', 'hi')).resolves.toEqual({ ok: true, from: 'alice', text: 'hi' });
});

test('a reader is forbidden to send', async () => {
  const { url, issuer } = await createSockAuthTestingApp({ providers });
  const socket = await connectAs(url, { sub: 'bob', permissions: ['chat:read'] }, { issuer });
  await expect(socket.emitWithAck('chat:send', 'hi')).toBeForbidden();
});

test('a socket without a token never reaches the gateway', async () => {
  const { url } = await createSockAuthTestingApp({ providers });
  await expect(connectAs(url, undefined)).toBeRefusedWith('AUTH_MISSING');
});

test('revoking a session through SockAuthService cuts its sockets', async () => {
  const { app, url, issuer } = await createSockAuthTestingApp({ providers });
  const socket = await connectAs(url, { sub: 'carol', sid: 'session-1' }, { issuer });
  await app.get(SockAuthService).revoke({ sessionId: 'session-1' });
  await expect(socket).toBeDisconnectedWith('AUTH_REVOKED');
});
