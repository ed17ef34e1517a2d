import { readTokenTimes } from '../src/token.js';
import { fakeToken } from './fake-socket.js';

const part = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

describe('readTokenTimes (jose decodeJwt)', () => {
  it('reads exp and iat, and each one alone', () => {
    expect(readTokenTimes(fakeToken({ exp: 2_000_000_000 }))).toEqual({ expiresAt: 2_000_000_000_000 });
    expect(readTokenTimes(fakeToken({ iat: 1_999_999_000 }))).toEqual({ issuedAtSec: 1_999_999_000 });
  });

  it.each([
    ['no dots', 'opaque'],
    ['two parts', `${part({ alg: 'HS256' })}.${part({ exp: 2e9 })}`],
    ['five parts (a JWE)', `a.${part({ exp: 2e9 })}.c.d.e`],
    ['an empty payload', 'a..c'],
    ['a payload that is not base64url', 'a.%%%.c'],
    ['a payload that is not JSON', `a.${part('not json')}.c`],
    ['a JSON string', `a.${part('"str"')}.c`],
    ['JSON null', `a.${part('null')}.c`],
    ['a JSON array', `a.${part([2e9])}.c`],
    ['a token over 16 KiB', `a.${part({ exp: 2e9, pad: 'x'.repeat(17_000) })}.c`],
  ])('gives {} for %s', (_, token) => {
    expect(readTokenTimes(token)).toEqual({});
  });

  it.each([
    ['a string', '2000000000'],
    ['zero', 0],
    ['a negative number', -1],
    ['null', null],
  ])('ignores an exp or iat that is %s', (_, value) => {
    expect(readTokenTimes(`a.${part({ exp: value, iat: value })}.c`)).toEqual({});
  });
});
