import { badRequest, decodeFrame, encodeAck, encodeFrame } from '../src/ws-envelope.js';

describe('the WebSocket envelope', () => {
  test('decodes a message, with or without an id (string or number)', () => {
    expect(decodeFrame('{"type":"whoami"}')).toEqual({ ok: true, envelope: { type: 'whoami', data: undefined } });
    expect(decodeFrame('{"type":"chat:send","id":7,"data":{"text":"hi"}}')).toEqual({
      ok: true,
      envelope: { type: 'chat:send', id: 7, data: { text: 'hi' } },
    });
    expect(decodeFrame('{"type":"x","id":"a-1"}')).toMatchObject({ ok: true, envelope: { id: 'a-1' } });
  });

  test.each([
    ['not JSON', '{"type":', undefined],
    ['not an object', '[1,2]', undefined],
    ['null', 'null', undefined],
    ['no type, with an id', '{"id":3}', 3],
    ['a numeric type', '{"type":5,"id":"q"}', 'q'],
    ['an empty type', '{"type":"","id":1}', 1],
    ['an ack from the client', '{"type":"ack","id":1}', 1],
    ['an id that is an object', '{"type":"x","id":{}}', undefined],
    ['an id that is not finite', '{"type":"x","id":1e999}', undefined],
  ])('refuses %s, with the id when one can be read', (_name, text, id) => {
    const frame = decodeFrame(text);
    expect(frame.ok).toBe(false);
    if (!frame.ok) expect(frame.id).toBe(id);
  });

  test('a binary frame is never a message, but its id is read when it holds JSON', () => {
    expect(decodeFrame('{"type":"whoami","id":2}', true)).toMatchObject({ ok: false, id: 2 });
    expect(decodeFrame('\u0000\u0001', true)).toMatchObject({ ok: false, id: undefined });
  });

  test('encodes messages, acks and the BAD_REQUEST ack', () => {
    expect(JSON.parse(encodeFrame('auth:expiring', { inMs: 1 }))).toEqual({ type: 'auth:expiring', data: { inMs: 1 } });
    expect(JSON.parse(encodeFrame('whoami', null, 'a'))).toEqual({ type: 'whoami', id: 'a', data: null });
    expect(JSON.parse(encodeAck(1, badRequest('m')))).toEqual({
      type: 'ack',
      id: 1,
      data: { error: { code: 'BAD_REQUEST', action: 'none', message: 'm' } },
    });
  });
});
