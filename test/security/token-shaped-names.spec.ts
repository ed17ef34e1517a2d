/**
 * A client chooses event and room names: one that carries a token (its own, pasted by mistake, or a stolen one
 * being probed) must not reach the logs, the hooks or the denied ack's message in a readable piece. The harness
 * greps every log line, hook argument, console line, event, ack and connect_error for 8-character fragments of
 * every token marked secret, after each test.
 */
import { ADAPTERS } from '../support/adapters';
import { claimsFor, hsVerifier, nowSec, signHs } from '../support/hostile-tokens';
import { refusal, useHarness } from './harness';

const h = useHarness();

describe.each(ADAPTERS)('%s: token-shaped event names', (_name, start) => {
  test('a refused event named with a token is reported, logged and acked with a fingerprint of the name only', async () => {
    const server = await h.start(start, { auth: { verifier: hsVerifier(h.keys, { clockToleranceSec: 0 }) } });
    const T = nowSec();
    const own = h.secret(await signHs(h.keys, claimsFor('alice', { iat: T - 10, scope: 'chat:read' })));
    const pasted = h.secret(await signHs(h.keys, claimsFor('bob', { iat: T - 10, note: 'stolen' })));
    const socket = await h.connect(server.url, { auth: { token: own } });
    for (const name of [pasted, `chat:${pasted}`, `${pasted.slice(0, 60)}`]) {
      await expect(h.ack(socket, name)).resolves.toEqual({ error: { ...refusal('AUTH_FORBIDDEN'), message: expect.any(String) } });
    }
  });
});
