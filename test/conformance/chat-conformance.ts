/**
 * The conformance options every chat server of DEMO-CONTRACT.md shares (the demos and the deliberately flawed
 * fixture): what only the server's owner knows, told to `@sockauth/testing`'s lifecycle conformance suite.
 */
import type { ConformanceOptions, TestIssuer } from '@sockauth/testing';

/** `chat:send`'s payload key is its idempotency key; a room is the flow's scope. */
export const chatEvents = {
  permissions: ['chat:read', 'chat:write'],
  privileged: {
    permission: 'chat:write',
    request: (id: string, room: string) => ({ event: 'chat:send', payload: { room, text: `conformance ${id}`, id } }),
  },
  harmless: { event: 'whoami' },
  observe: {
    subscribe: (room: string) => ({ event: 'chat:join', payload: { room } }),
    event: 'chat:message',
    keyOf: (message: unknown) => (message as { id?: unknown }).id,
  },
} satisfies Partial<ConformanceOptions>;

/** `POST path` with a `chat:admin` token from `issuer`; fails unless it answers 200. */
export async function adminPost(url: string, issuer: TestIssuer, path: string, body: unknown): Promise<void> {
  const token = await issuer.mint({ sub: 'conformance-admin', permissions: ['chat:admin'], ttlSec: 60 });
  const response = await fetch(url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
}
