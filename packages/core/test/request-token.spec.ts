import { bearerToken, cookieToken, pickToken, queryToken, resolveRequestTokenOptions, tokenValue } from '../src/request-token.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code ?? (error as Error).name;
  }
  return undefined;
};

describe('request tokens', () => {
  test('bearer header: the scheme is case-insensitive, anything else is no token', () => {
    expect(bearerToken('Bearer a.b.c')).toBe('a.b.c');
    expect(bearerToken('bearer\ta.b.c ')).toBe('a.b.c');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(['Bearer a.b.c'])).toBeUndefined();
  });

  test('cookie: only from an allowed origin, and a name sent twice with different values is refused', () => {
    const cookie = { name: 'at', allowedOrigins: ['https://app.example'] };
    expect(cookieToken({ cookie: 'x=1; at=t1', origin: 'https://app.example' }, cookie)).toBe('t1');
    expect(cookieToken({ cookie: 'at=t1; at=t1', origin: 'https://app.example' }, cookie)).toBe('t1');
    expect(codeOf(() => cookieToken({ cookie: 'at=t1; at=t2', origin: 'https://app.example' }, cookie))).toBe('AUTH_INVALID');
    expect(codeOf(() => cookieToken({ cookie: 'at=t1', origin: 'https://evil.example' }, cookie))).toBe('AUTH_INVALID');
    expect(codeOf(() => cookieToken({ cookie: 'at=t1' }, cookie))).toBe('AUTH_INVALID');
    expect(cookieToken({ origin: 'https://evil.example' }, cookie)).toBeUndefined();
  });

  test('query: the parameter, once; two different values are refused', () => {
    expect(queryToken('/ws?room=a&token=t1', 'token')).toBe('t1');
    expect(queryToken('/ws?room=a#token=t1', 'token')).toBeUndefined();
    expect(queryToken('/ws', 'token')).toBeUndefined();
    expect(queryToken('/ws?token=', 'token')).toBeUndefined();
    expect(queryToken('/ws?token=t1&token=t1', 'token')).toBe('t1');
    expect(codeOf(() => queryToken('/ws?token=t1&token=t2', 'token'))).toBe('AUTH_INVALID');
  });

  test('pickToken: none is AUTH_MISSING, two different ones AUTH_INVALID, never merged', () => {
    expect(codeOf(() => pickToken([]))).toBe('AUTH_MISSING');
    expect(pickToken([], true)).toBeUndefined();
    expect(pickToken(['t', 't'])).toBe('t');
    expect(codeOf(() => pickToken(['t', 'u']))).toBe('AUTH_INVALID');
  });

  test('tokenValue: empty is none, a non-string is refused', () => {
    expect(tokenValue(null)).toBeUndefined();
    expect(tokenValue('')).toBeUndefined();
    expect(tokenValue('t')).toBe('t');
    expect(codeOf(() => tokenValue(42))).toBe('AUTH_INVALID');
  });

  test('options: TypeError naming the option on every mistake', () => {
    expect(resolveRequestTokenOptions('opts', {})).toEqual({ cookie: undefined, query: false, queryParam: 'token' });
    expect(resolveRequestTokenOptions('opts', { allowQueryToken: { param: 'at' } })).toMatchObject({ query: true, queryParam: 'at' });
    expect(() => resolveRequestTokenOptions('opts', { allowQueryToken: 'false' as never })).toThrow(TypeError);
    expect(() => resolveRequestTokenOptions('opts', { allowQueryToken: { param: 'at', prm: 1 } as never })).toThrow(/prm/);
    expect(() => resolveRequestTokenOptions('opts', { allowQueryToken: { param: '' } })).toThrow(TypeError);
    expect(() => resolveRequestTokenOptions('opts', { cookie: { name: 'at' } as never })).toThrow(/allowedOrigins/);
    expect(() => resolveRequestTokenOptions('opts', { cookie: { name: '', allowedOrigins: [] } })).toThrow(/cookie.name/);
  });
});
