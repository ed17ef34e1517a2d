import { BAD_REQUEST, PROBE_ANSWER_CODE, PROBE_FRAME, PROBE_ID, WS_CLOSE_CODES } from '@sockauth/core/protocol';
import { closeAll } from '@sockauth/testing';
import { TestClient, startWsServer } from './support';
import { mint, nowSec } from '../../../test/support/tokens';

afterEach(closeAll);

// The probe is part of the wire (core's ws-subprotocol.ts): @sockauth/client and @sockauth/testing tell an accepted
// upgrade from a refused one by the server's answer to it. These pin the server's side of that contract.
describe('ws wire: the probe', () => {
  test('an accepted connection answers it BAD_REQUEST, before any hook, and stays open', async () => {
    const onAuthFailure = jest.fn();
    const { url } = await startWsServer({ hooks: { onAuthFailure }, unlistedEvents: 'deny' });
    const client = new TestClient(url, { headers: { authorization: `Bearer ${await mint({ sub: 'alice' })}` } });
    await client.opened;
    client.sendRaw(PROBE_FRAME);
    const ack = await client.next((frame) => frame.type === 'ack' && frame.id === PROBE_ID);
    expect(PROBE_ANSWER_CODE).toBe(BAD_REQUEST);
    expect(ack.data).toEqual({ error: expect.objectContaining({ code: PROBE_ANSWER_CODE, action: 'none' }) });
    // Not an auth decision: nothing reported, the connection still serves messages.
    expect(onAuthFailure).not.toHaveBeenCalled();
    expect(await client.request('whoami')).toMatchObject({ subject: 'alice' });
  });

  test.each([
    ['no token', async () => ({})],
    ['an expired token', async () => ({ authorization: `Bearer ${await mint({ sub: 'alice' }, { exp: nowSec() - 10, iat: nowSec() - 20 })}` })],
  ])('a refused connection (%s) never answers it: the close says why', async (_name, headers) => {
    const { url } = await startWsServer();
    const client = new TestClient(url, { headers: await headers() });
    await client.opened;
    client.sendRaw(PROBE_FRAME);
    const close = await client.closed;
    expect(close.code).toBeGreaterThanOrEqual(4000);
    expect(close.code).toBe(WS_CLOSE_CODES[(close.reason as { code: keyof typeof WS_CLOSE_CODES }).code]);
    expect(client.frames).toEqual([]);
  });
});
