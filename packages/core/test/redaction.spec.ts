import { SENSITIVE_QUERY_PARAMS, redactToken, redactTokenLike, redactUrl } from '../src/index.js';
import { claims, sign } from './support.js';

function substrings(value: string, length: number): string[] {
  const result: string[] = [];
  for (let i = 0; i + length <= value.length; i++) result.push(value.slice(i, i + length));
  return result;
}

describe('redactToken', () => {
  let token: string;

  beforeAll(async () => {
    token = await sign(claims({ scope: 'chat:read chat:write', email: 'alice@example.test' }));
  });

  it('never contains any 8-character substring of the token', () => {
    const redacted = redactToken(token);
    for (const part of substrings(token, 8)) expect(redacted.includes(part)).toBe(false);
  });

  it('gives the byte length and a stable fingerprint', () => {
    const redacted = redactToken(token);
    expect(redacted).toMatch(/^\[token sha256:[0-9a-f]{8}, \d+ bytes\]$/);
    expect(redacted).toContain(`${Buffer.byteLength(token)} bytes`);
    expect(redactToken(token)).toBe(redacted);
    expect(redactToken(`${token}x`)).not.toBe(redacted);
  });

  it('counts multi-byte characters in bytes', () => {
    expect(redactToken('é')).toContain('2 bytes');
  });

  it.each([[undefined], [null], [''], [42], [{ token: 'x' }]])('describes %p as no token', (value) => {
    expect(redactToken(value)).toBe('[no token]');
  });
});

describe('redactUrl', () => {
  const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

  it('redacts token and access_token values and keeps other parameters', () => {
    const redacted = redactUrl(`/socket.io/?EIO=4&transport=polling&token=${token}&access_token=${token}&t=abc`);
    expect(redacted).toBe('/socket.io/?EIO=4&transport=polling&token=[redacted]&access_token=[redacted]&t=abc');
    expect(redacted).not.toContain(token);
  });

  it('redacts every listed sensitive parameter, case-insensitively', () => {
    for (const param of SENSITIVE_QUERY_PARAMS) {
      expect(redactUrl(`/x?${param.toUpperCase()}=${token}`)).not.toContain('c2lnbmF0dXJl');
    }
    expect(SENSITIVE_QUERY_PARAMS).toEqual(expect.arrayContaining(['token', 'access_token']));
  });

  it('redacts extra parameters given by the caller', () => {
    expect(redactUrl('/x?sig=abc&keep=1', ['SIG'])).toBe('/x?sig=[redacted]&keep=1');
  });

  it('returns a URL without a query unchanged', () => {
    expect(redactUrl('/socket.io/')).toBe('/socket.io/');
    expect(redactUrl('https://example.test/path')).toBe('https://example.test/path');
    expect(redactUrl('')).toBe('');
  });

  it('handles an empty query and repeated parameters', () => {
    expect(redactUrl('/x?')).toBe('/x?');
    expect(redactUrl(`/x?token=a&token=${token}`)).toBe('/x?token=[redacted]&token=[redacted]');
  });

  it('works on absolute URLs and drops the fragment', () => {
    expect(redactUrl(`https://example.test/ws?token=${token}&room=1#section`)).toBe(
      'https://example.test/ws?token=[redacted]&room=1',
    );
  });

  it('returns a query with nothing sensitive unchanged, and still parses anything encoded', () => {
    const url = '/socket.io/?EIO=4&transport=websocket&room=a/b';
    expect(redactUrl(url)).toBe(url);
    expect(redactUrl(`/x?%54OKEN=${token}`)).toBe('/x?TOKEN=[redacted]');
    expect(redactUrl(`/x?acc+ess=1&access_token=${token}`)).not.toContain(token);
    expect(redactUrl(`/x?sig=${token}`, ['Sig'])).toBe('/x?sig=[redacted]');
    expect(redactUrl(`/x?a=tokenish&b=2`)).toBe('/x?a=tokenish&b=2');
  });

  it('drops a fragment even without a query (OAuth puts access_token there)', () => {
    expect(redactUrl(`https://example.test/cb#access_token=${token}`)).toBe('https://example.test/cb');
    expect(redactUrl(`/x?room=1#token=${token}`)).toBe('/x?room=1');
  });

  it('redacts percent-encoded parameter names and keeps encoded values of other parameters', () => {
    expect(redactUrl(`/x?%74oken=${token}&q=a%20b`)).toBe('/x?token=[redacted]&q=a%20b');
  });
});

describe('redactTokenLike', () => {
  let token: string;

  beforeAll(async () => {
    token = await sign(claims({ email: 'alice@example.test' }));
  });

  it.each(['chat:send', 'admin:announce', 'staff-engineering-team-2024', 'room-1f2e3d4c', 'café', 'a'.repeat(100)])('keeps the name %s', (name) => {
    expect(redactTokenLike(name)).toBe(name);
  });

  it('fingerprints a token, each of its segments, a truncated one and a token inside a name', () => {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    for (const name of [token, header, payload, signature, `${token.slice(0, 99)}…`, `chat:${token.slice(30, 90)}`]) {
      const redacted = redactTokenLike(name);
      expect(redacted).toBe(redactToken(name));
      for (const part of substrings(token, 8)) expect(redacted.includes(part)).toBe(false);
    }
  });

  it('fingerprints overlong names and control characters rather than cutting or echoing them', () => {
    expect(redactTokenLike('a'.repeat(101))).toBe(redactToken('a'.repeat(101)));
    expect(redactTokenLike('line\nbreak')).toBe(redactToken('line\nbreak'));
    expect(redactTokenLike('bidi\u202Eoverride')).toBe(redactToken('bidi\u202Eoverride'));
  });
});
