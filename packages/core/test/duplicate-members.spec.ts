import { base64url } from 'jose';
import { hasDuplicateMemberNames, tokenHasDuplicateMembers } from '../src/duplicate-members.js';

describe('hasDuplicateMemberNames', () => {
  test.each([
    ['{"a":1,"a":2}', true],
    ['{"sub":"alice","s\\u0075b":"admin"}', true],
    ['{"a":{"b":1,"b":2}}', true],
    ['[{"a":1},{"a":1}]', false],
    ['{"a":{"b":1},"b":2}', false],
    ['{"a":"\\"a\\":1","b":"a"}', false],
    ['{"a":["a","a"],"b":{"a":1}}', false],
    ['{"__proto__":1,"__proto__":2}', true],
    ['{"a":1}', false],
    ['[]', false],
    ['"a"', false],
    ['not json at all {"a', false],
    ['{"a":"unterminated', false],
    ['{"a\\', false],
    ['', false],
  ])('%s → %s', (json, expected) => {
    expect(hasDuplicateMemberNames(json)).toBe(expected);
  });

  test('deep nesting is scanned without recursion', () => {
    const deep = `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`;
    expect(hasDuplicateMemberNames(deep)).toBe(false);
    expect(hasDuplicateMemberNames(`${'['.repeat(200_000)}{"x":1,"x":2}${']'.repeat(200_000)}`)).toBe(true);
  });

  test('agrees with JSON.parse on which members exist', () => {
    const json = '{"a":1,"b":{"c":[1,{"d":2}],"e":"}"},"f":"\\\\","g":null}';
    expect(Object.keys(JSON.parse(json))).toEqual(['a', 'b', 'f', 'g']);
    expect(hasDuplicateMemberNames(json)).toBe(false);
  });
});

describe('tokenHasDuplicateMembers', () => {
  const segment = (json: string) => base64url.encode(json);
  test('checks the header and the payload of a compact JWS, nothing else', () => {
    expect(tokenHasDuplicateMembers(`${segment('{"alg":"none","alg":"HS256"}')}.${segment('{}')}.sig`)).toBe(true);
    expect(tokenHasDuplicateMembers(`${segment('{"alg":"HS256"}')}.${segment('{"sub":"a","sub":"b"}')}.sig`)).toBe(true);
    expect(tokenHasDuplicateMembers(`${segment('{"alg":"HS256"}')}.${segment('{"sub":"a"}')}.${segment('{"x":1,"x":1}')}`)).toBe(false);
    expect(tokenHasDuplicateMembers('opaque-token-without-dots')).toBe(false);
    expect(tokenHasDuplicateMembers('a.b')).toBe(false);
    expect(tokenHasDuplicateMembers('a.b.c.d.e')).toBe(false);
  });

  test('remembers clean headers only: a duplicate header is refused every time, payloads are always scanned', () => {
    const clean = segment('{"alg":"HS256","typ":"JWT","kid":"dup-test"}');
    const dirty = segment('{"alg":"HS256","alg":"none","kid":"dup-test"}');
    for (let i = 0; i < 3; i++) {
      expect(tokenHasDuplicateMembers(`${dirty}.${segment('{"sub":"a"}')}.sig`)).toBe(true);
      expect(tokenHasDuplicateMembers(`${clean}.${segment('{"sub":"a"}')}.sig`)).toBe(false);
      expect(tokenHasDuplicateMembers(`${clean}.${segment('{"sub":"a","sub":"b"}')}.sig`)).toBe(true);
    }
  });

  test('stays correct past the bound of remembered headers', () => {
    for (let i = 0; i < 200; i++) {
      expect(tokenHasDuplicateMembers(`${segment(`{"alg":"HS256","kid":"k${i}"}`)}.${segment('{}')}.sig`)).toBe(false);
      expect(tokenHasDuplicateMembers(`${segment(`{"kid":"k${i}","kid":"x"}`)}.${segment('{}')}.sig`)).toBe(true);
    }
  });
});
