import { extractToken, resolveExtraction, type EngineRequestLike, type HandshakeLike } from '../src/token-extraction.js';

const TOKEN = 'header.payload.signature';

/** A handshake as Socket.IO 4 builds it from the Engine.IO request: the request's URL and its very query object. */
function handshakeOf(request: Required<EngineRequestLike>): HandshakeLike {
  return { headers: {}, auth: {}, url: request.url, query: request._query };
}

describe('extractToken with the Engine.IO request', () => {
  const extraction = resolveExtraction({ allowQueryToken: true });

  test('redacts the request URL and parsed query once, and every later handshake of the request still finds the token', () => {
    const request = { url: `/socket.io/?EIO=4&transport=websocket&token=${TOKEN}&room=lobby`, _query: { EIO: '4', transport: 'websocket', token: TOKEN, room: 'lobby' } };

    const first = handshakeOf(request);
    expect(extractToken(first, extraction, request)).toBe(TOKEN);
    expect(request.url).toBe('/socket.io/?EIO=4&transport=websocket&token=[redacted]&room=lobby');
    expect(request._query).toEqual({ EIO: '4', transport: 'websocket', token: '[redacted]', room: 'lobby' });
    expect(first.query).toEqual(request._query);
    expect(first.query).not.toBe(request._query);

    const second = handshakeOf(request);
    expect(extractToken(second, extraction, request)).toBe(TOKEN);
    expect(second.url).toBe(request.url);
    expect(second.query['token']).toBe('[redacted]');
    expect(request._query['token']).toBe('[redacted]');
  });

  test('leaves a request without a token untouched', () => {
    const query = { EIO: '4', transport: 'polling' };
    const request = { url: '/socket.io/?EIO=4&transport=polling', _query: query };
    const handshake = { ...handshakeOf(request), auth: { token: TOKEN } };

    expect(extractToken(handshake, extraction, request)).toBe(TOKEN);
    expect(request).toEqual({ url: '/socket.io/?EIO=4&transport=polling', _query: query });
    expect(request._query).toBe(query);
  });
});
