import { connectAs, waitForCut } from '@sockauth/testing';
import { FakeWsServer } from '../../client/test/fake-ws-server.js';

/**
 * connectAs for ws:// URLs, against a small server speaking sockauth's plain-WebSocket protocol (the same one the
 * client's WebSocket transport is tested with); the contract suite drives it against the real ws demo.
 */
describe('connectAs(ws://…)', () => {
  it('resolves once the server accepted (its ack of the probe frame), with the token in the subprotocols by default', async () => {
    const server = await FakeWsServer.start();
    const socket = await connectAs(server.url as `ws://${string}`, 'tok-en.1');
    expect(socket.connected).toBe(true);
    expect(server.handshakes).toEqual([expect.objectContaining({ token: 'tok-en.1', protocols: ['sockauth', 'sockauth.bearer.tok-en.1'], selected: 'sockauth' })]);
    await expect(socket.emitWithAck('whoami', { a: 1 })).resolves.toEqual({ echo: { a: 1 } });
  });

  it('puts the token where tokenIn says', async () => {
    const server = await FakeWsServer.start();
    await connectAs(server.url as `ws://${string}`, 'h', { tokenIn: 'header' });
    expect(server.handshakes[0]).toMatchObject({ authorization: 'Bearer h', protocols: ['sockauth'] });
    await expect(connectAs(server.url as `ws://${string}`, 'x', { tokenIn: 'auth' as never })).rejects.toThrow(TypeError);
  });

  it('rejects with the AuthError of a refused handshake (a 4xxx close with { code, action }): toBeRefusedWith reads it', async () => {
    const server = await FakeWsServer.start();
    server.verdict = () => ({ close: 4102, code: 'AUTH_REVOKED', action: 'login' });
    await expect(connectAs(server.url as `ws://${string}`, 't')).toBeRefusedWith('AUTH_REVOKED', { action: 'login' });
    await expect(connectAs(server.url as `ws://${string}`, 't')).not.toBeRefusedWith('AUTH_EXPIRED');
  });

  it('a cut (auth:error then a 4xxx close) is what waitForCut and toBeDisconnectedWith see', async () => {
    const server = await FakeWsServer.start();
    const socket = await connectAs(server.url as `ws://${string}`, 't');
    const cut = waitForCut(socket);
    server.cut(4200, 'AUTH_EXPIRED', 'refresh');
    await expect(cut).resolves.toMatchObject({ error: { code: 'AUTH_EXPIRED' }, reason: 'close 4200' });
    await expect(socket).toBeDisconnectedWith('AUTH_EXPIRED', { action: 'refresh' });
    await expect(socket.closed).resolves.toEqual({ code: 4200, reason: '{"code":"AUTH_EXPIRED","action":"refresh"}' });
  });
});
