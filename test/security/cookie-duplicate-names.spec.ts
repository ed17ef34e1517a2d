/**
 * Cookie tokens parsed by the `cookie` package, over the wire, against both adapters: a cookie name sent twice with
 * different values ("cookie tossing": a sibling subdomain or a more specific path plants a second cookie of the
 * same name, which browsers send ahead of or behind the real one) is refused, never resolved to either identity;
 * the same value twice, surrounding whitespace and percent-encoding still authenticate as before.
 */
import { ADAPTERS } from '../support/adapters';
import { claimsFor, signHs } from '../support/hostile-tokens';
import { expectRefusedHandshake, useHarness } from './harness';

const h = useHarness();
const ORIGIN = 'https://app.security.test';
const cookie = { name: 'sa_token', allowedOrigins: [ORIGIN] };

describe.each(ADAPTERS)('%s: a cookie token sent under one name twice', (_name, start) => {
  test.each([
    ['the planted cookie first', (real: string, planted: string) => `sa_token=${planted}; sa_token=${real}`],
    ['the planted cookie last', (real: string, planted: string) => `sa_token=${real}; theme=dark; sa_token=${planted}`],
  ])('two different tokens (%s) → AUTH_INVALID, neither identity is used', async (_order, header) => {
    const server = await h.start(start, { auth: { cookie } });
    const real = h.secret(await signHs(h.keys, claimsFor('alice')));
    const planted = h.secret(await signHs(h.keys, claimsFor('mallory', { scope: 'chat:admin' })));
    const error = await h.refused(server.url, { extraHeaders: { cookie: header(real, planted), origin: ORIGIN } });
    expectRefusedHandshake(h, server, error, 'AUTH_INVALID');
  });

  test('the same token twice, with whitespace and percent-encoding → authenticated as its subject', async () => {
    const server = await h.start(start, { auth: { cookie } });
    const token = h.secret(await signHs(h.keys, claimsFor('alice')));
    const socket = await h.connect(server.url, {
      extraHeaders: { cookie: `sa_token= ${token} ;theme=dark; sa_token=${encodeURIComponent(token)}`, origin: ORIGIN },
    });
    expect(await h.ack(socket, 'whoami')).toMatchObject({ subject: 'alice' });
  });
});
