import type { IncomingMessage } from 'node:http';
import { extractUpgradeToken, resolveUpgradeTokens } from '../src/upgrade-token.js';
import { protocolSelector } from '../src/subprotocol.js';

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  const rawHeaders = Object.entries(headers).flat();
  return { url, headers: { ...headers }, rawHeaders } as unknown as IncomingMessage;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('upgrade tokens', () => {
  const all = resolveUpgradeTokens({ allowQueryToken: true, cookie: { name: 'at', allowedOrigins: ['https://app.example'] } });

  test('defaults: header and subprotocol; cookie and query only when configured', () => {
    expect(resolveUpgradeTokens({}).sources).toEqual(['header', 'subprotocol']);
    expect(all.sources).toEqual(['header', 'subprotocol', 'cookie', 'query']);
    expect(() => resolveUpgradeTokens({ tokenSources: ['query'] })).toThrow(/allowQueryToken/);
    expect(() => resolveUpgradeTokens({ tokenSources: ['auth' as never] })).toThrow(TypeError);
    expect(() => resolveUpgradeTokens({ tokenSources: [] })).toThrow(/tokenSources/);
  });

  test('the subprotocol token is read and removed from the headers, the other subprotocols kept', () => {
    const req = request('/ws', { 'sec-websocket-protocol': 'sockauth, sockauth.bearer.a.b.c' });
    expect(extractUpgradeToken(req, all)).toBe('a.b.c');
    expect(req.headers['sec-websocket-protocol']).toBe('sockauth');
    expect(req.rawHeaders).toEqual(['sec-websocket-protocol', 'sockauth']);
  });

  test('the query token is redacted from req.url, also when the upgrade is refused', () => {
    const ok = request('/ws?room=a&token=t1');
    expect(extractUpgradeToken(ok, all)).toBe('t1');
    expect(ok.url).toBe('/ws?room=a&token=[redacted]');
    const refused = request('/ws?token=t1', { authorization: 'Bearer t2' });
    expect(codeOf(() => extractUpgradeToken(refused, all))).toBe('AUTH_INVALID');
    expect(refused.url).toBe('/ws?token=[redacted]');
  });

  test('the same token in several places is one token; different ones are refused, never merged', () => {
    expect(extractUpgradeToken(request('/ws?token=t', { authorization: 'Bearer t', 'sec-websocket-protocol': 'sockauth.bearer.t' }), all)).toBe('t');
    expect(codeOf(() => extractUpgradeToken(request('/ws', { authorization: 'Bearer t', 'sec-websocket-protocol': 'sockauth.bearer.u' }), all))).toBe('AUTH_INVALID');
    expect(codeOf(() => extractUpgradeToken(request('/ws', { 'sec-websocket-protocol': 'sockauth.bearer.t, sockauth.bearer.u' }), all))).toBe('AUTH_INVALID');
    expect(codeOf(() => extractUpgradeToken(request('/ws'), all))).toBe('AUTH_MISSING');
  });

  test('a source that is off is not read', () => {
    const headerOnly = resolveUpgradeTokens({ tokenSources: ['header'] });
    expect(codeOf(() => extractUpgradeToken(request('/ws?token=t', { 'sec-websocket-protocol': 'sockauth.bearer.t' }), headerOnly))).toBe('AUTH_MISSING');
  });
});

describe('subprotocol selection', () => {
  const req = request('/ws');
  test('selects sockauth, never a bearer entry, whatever the order', () => {
    const select = protocolSelector(undefined);
    expect(select(new Set(['sockauth.bearer.t', 'sockauth']), req)).toBe('sockauth');
    expect(select(new Set(['sockauth.bearer.t']), req)).toBe(false);
    expect(select(new Set(['other']), req)).toBe(false);
  });

  test('a custom selector sees the offers without the bearer entry and cannot select it', () => {
    const seen: string[][] = [];
    const select = protocolSelector((offered) => {
      seen.push([...offered]);
      return 'sockauth.bearer.t';
    });
    expect(select(new Set(['graphql-transport-ws', 'sockauth.bearer.t']), req)).toBe(false);
    expect(seen).toEqual([['graphql-transport-ws']]);
    expect(protocolSelector(() => 'graphql-transport-ws')(new Set(['graphql-transport-ws']), req)).toBe('graphql-transport-ws');
  });
});
