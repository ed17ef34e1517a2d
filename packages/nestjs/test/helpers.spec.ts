import { publicNamespaces, type GatewayInfo } from '../src/gateway.explorer.js';
import { findAck } from '../src/ws-auth-exception.filter.js';

const gateway = (name: string, namespace: string | RegExp, isPublic: boolean): GatewayInfo => ({
  metatype: { [name]: class {} }[name]!,
  namespace,
  isPublic,
  patterns: [],
});

describe('publicNamespaces', () => {
  test('lists the namespaces of public gateways as skip rules', () => {
    expect(publicNamespaces([gateway('Status', '/status', true), gateway('Chat', '/', false), gateway('Feed', /^\/feed-\d+$/, true)])).toEqual([
      '/status',
      /^\/feed-\d+$/,
    ]);
  });

  test('refuses a public and a protected gateway on the same namespace', () => {
    expect(() => publicNamespaces([gateway('Open', '/', true), gateway('Closed', '/', false)])).toThrow(/Open and protected gateway Closed/);
  });

  test('refuses a public pattern that matches a protected namespace', () => {
    expect(() => publicNamespaces([gateway('Open', /^\/team-/, true), gateway('Closed', '/team-a', false)])).toThrow(/share namespace \/team-a/);
  });

  test('refuses the same pattern public in one gateway and protected in another', () => {
    expect(() => publicNamespaces([gateway('Open', /^\/x/, true), gateway('Closed', /^\/x/, false)])).toThrow(/share namespace/);
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
