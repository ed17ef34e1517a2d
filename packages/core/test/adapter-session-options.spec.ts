import { MemoryRevocationStore, SESSION_OPTION_KEYS, adapterSessionOptions, isVerifier } from '../src/index.js';

const KEYS = { ...SESSION_OPTION_KEYS, tokenSources: true } as const;
const verifier = { algorithms: ['HS256'], secret: 'x'.repeat(32) } as const;

describe('adapterSessionOptions: the checks every adapter makes first, once', () => {
  test.each([
    ['no options', undefined],
    ['null', null],
    ['an unknown key (a misspelt option)', { verifier, warnBeforeSeconds: 30 }],
    ['no verifier', { warnBeforeSec: 30 }],
  ])('%s is a TypeError', (_name, options) => {
    expect(() => adapterSessionOptions('myAdapter options', options as never, KEYS)).toThrow(TypeError);
  });

  test('keeps the session keys only, builds the verifier and a memory store', () => {
    const options = { verifier, warnBeforeSec: 30, tokenSources: ['header'] };
    const session = adapterSessionOptions('myAdapter options', options, KEYS);
    expect(isVerifier(session.verifier)).toBe(true);
    expect(session.revocationStore).toBeInstanceOf(MemoryRevocationStore);
    expect(session.warnBeforeSec).toBe(30);
    expect(session).not.toHaveProperty('tokenSources');
  });
});
