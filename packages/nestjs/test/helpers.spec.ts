import { matchesNamespace } from '@sockauth/socket.io';
import type { GatewayInfo } from '../src/gateway.explorer.js';
import { messageArgs, rememberMessageArgs } from '../src/message-args.js';
import { publicNamespaceRule } from '../src/public-namespaces.js';
import { findAck } from '../src/ws-auth-exception.filter.js';

const gateway = (name: string, namespace: string | RegExp, isPublic: boolean): GatewayInfo => ({
  metatype: { [name]: class {} }[name]!,
  namespace,
  isPublic,
  patterns: [],
  server: { port: 0, path: undefined },
});

describe('publicNamespaceRule', () => {
  test('none without public gateways', () => {
    expect(publicNamespaceRule([gateway('Chat', '/', false)])).toBeUndefined();
  });

  test('opens the concrete names of public gateways that no protected gateway matches', () => {
    const rule = publicNamespaceRule([
      gateway('Status', '/status', true),
      gateway('Chat', '/', false),
      gateway('Feed', /^\/feed-\d+$/, true),
      gateway('Rooms', /^\/feed-1\d*$/, false),
    ])!;
    expect(['/status', '/feed-2', '/feed-23'].filter((name) => matchesNamespace(rule, name))).toEqual(['/status', '/feed-2', '/feed-23']);
    // Matched by a public and a protected pattern: protected, whatever the order of the gateways.
    expect(['/', '/feed-1', '/feed-12', '/other'].filter((name) => matchesNamespace(rule, name))).toEqual([]);
  });

  test.each([
    ['the same name', '/', '/'],
    ['a public pattern matching a protected name', /^\/team-/, '/team-a'],
    ['a protected pattern matching a public name', '/team-a', /^\/team-/],
    ['the same pattern', /^\/x/, /^\/x/],
    ['the same pattern with other flags', /^\/x/i, /^\/x/g],
  ])('refuses a public and a protected gateway on %s', (_case, open, closed) => {
    expect(() => publicNamespaceRule([gateway('Open', open, true), gateway('Closed', closed, false)])).toThrow(TypeError);
  });
});

describe('findAck', () => {
  const ack = () => undefined;

  test('finds the ack between the data and the pattern Nest appends', () => {
    expect(findAck([{ id: 'socket' }, { text: 'hi' }, ack, 'chat:send'])).toBe(ack);
  });

  test('finds the ack of a message sent without data', () => {
    expect(findAck([{ id: 'socket' }, undefined, ack, 'whoami'])).toBe(ack);
  });

  test('returns undefined for a message sent without an ack', () => {
    expect(findAck([{ id: 'socket' }, { text: 'hi' }, undefined, 'chat:send'])).toBeUndefined();
  });

  test('never takes the client for the ack', () => {
    expect(findAck([ack])).toBeUndefined();
  });
});

describe('messageArgs', () => {
  const ack = () => undefined;

  test('rebuilds the arguments from the data Nest hands a handler: none, one, several', () => {
    expect(messageArgs(undefined)).toEqual([]);
    expect(messageArgs({ room: 'a' })).toEqual([{ room: 'a' }]);
    expect(messageArgs(null)).toEqual([null]);
    expect(messageArgs(['a', 'b'])).toEqual(['a', 'b']);
    expect(Object.isFrozen(messageArgs(['a', 'b']))).toBe(true);
  });

  test('a single array argument stays one argument once sockauth has seen its packet', () => {
    const withAck = [{ room: 'a' }];
    const withoutAck = [{ room: 'b' }];
    // sockauth's check sees the arguments without the ack, whether there was one or not.
    rememberMessageArgs([withAck]);
    rememberMessageArgs([withoutAck]);
    expect(messageArgs(withAck)).toEqual([withAck]);
    expect(messageArgs(withoutAck)).toEqual([withoutAck]);
    // Several arguments, the first an array: Nest's data is a new array of them, never remembered.
    const first = ['x'];
    rememberMessageArgs([first, 'second']);
    expect(messageArgs([first, 'second'])).toEqual([first, 'second']);
  });
});

describe('the deprecated @AuthContext() decorator', () => {
  test('is the very same decorator as @SockAuthContext()', async () => {
    const { AuthContext, SockAuthContext } = await import('../src/index.js');
    expect(AuthContext).toBe(SockAuthContext);
  });
});
