import { AUTH_ACTIONS, AUTH_ERROR_CODES, createAuthError } from '../src/errors.js';
import { MAX_CLOSE_REASON_BYTES, WS_CLOSE_CODES, closeCodeAction, closeCodeFor, closeReason } from '../src/ws-close-codes.js';

describe('WebSocket close codes', () => {
  test('every code has its own close code in 4000–4999, in the range of its action', () => {
    const seen = new Set<number>();
    for (const code of AUTH_ERROR_CODES) {
      const close = closeCodeFor(code);
      expect(close).toBe(WS_CLOSE_CODES[code]);
      expect(close).toBeGreaterThanOrEqual(4000);
      expect(close).toBeLessThanOrEqual(4999);
      expect(closeCodeAction(close)).toBe(AUTH_ACTIONS[code]);
      seen.add(close);
    }
    expect(seen.size).toBe(AUTH_ERROR_CODES.length);
  });

  test('codes outside sockauth’s ranges have no action', () => {
    for (const close of [1000, 1008, 1009, 4000, 4099, 4500, 4999]) expect(closeCodeAction(close)).toBeUndefined();
    expect(closeCodeAction(4199)).toBe('login');
  });

  test('the reason is the JSON { code, action }, under 123 bytes for every code, whatever the message', () => {
    for (const code of AUTH_ERROR_CODES) {
      const reason = closeReason(createAuthError(code, 'x'.repeat(500)));
      expect(JSON.parse(reason)).toEqual({ code, action: AUTH_ACTIONS[code] });
      expect(Buffer.byteLength(reason)).toBeLessThan(MAX_CLOSE_REASON_BYTES);
    }
  });
});
