import { matchesAnyNamespace, matchesNamespace, type NamespaceRule } from '@sockauth/socket.io';
import type { GatewayInfo } from './gateway.explorer.js';

/**
 * The `skipNamespaces` rule of the `@Public()` gateways, or `undefined` without any: a *concrete* namespace name
 * (`/status`, or a dynamic child such as `/rooms/42`) skips handshake authentication when a public gateway's
 * namespace matches it **and no protected gateway's does**.
 *
 * Why per name and protected-wins: Socket.IO gives a name that several regex namespaces match to the first of them
 * in registration order (the order Nest connects gateways in, which follows the providers but is not something an
 * application should rely on), so a public pattern that also matches a protected one's names would otherwise let
 * a socket without a token reach the protected gateway's `handleConnection` and handlers, depending on the order. Here, such a name is authenticated whoever serves it (fail closed): the worst a hidden
 * overlap costs is a public gateway asking for a token on those names.
 *
 * Overlaps that can be proven at start-up are refused with a `TypeError` (see `refuseProvableOverlaps`); two
 * different patterns can still overlap (regex intersection is not decided here), and the rule above covers them.
 */
export function publicNamespaceRule(gateways: readonly GatewayInfo[]): NamespaceRule | undefined {
  const open = gateways.filter((g) => g.isPublic);
  if (open.length === 0) return undefined;
  const closed = gateways.filter((g) => !g.isPublic);
  refuseProvableOverlaps(open, closed);
  const publicNamespaces = open.map((g) => g.namespace);
  const protectedNamespaces = closed.map((g) => g.namespace);
  return (name) => matchesAnyNamespace(publicNamespaces, name) && !matchesAnyNamespace(protectedNamespaces, name);
}

/**
 * Refuses a public and a protected gateway whose namespaces provably share a name: the same name, a name one's
 * pattern matches, or the same pattern (whatever the flags). Such an application cannot mean what it says.
 */
function refuseProvableOverlaps(open: readonly GatewayInfo[], closed: readonly GatewayInfo[]): void {
  for (const publicGateway of open) {
    for (const protectedGateway of closed) {
      if (!provablyOverlap(publicGateway.namespace, protectedGateway.namespace)) continue;
      throw new TypeError(
        `sockauth: @Public() gateway ${gatewayName(publicGateway)} (namespace ${String(publicGateway.namespace)}) and ` +
          `protected gateway ${gatewayName(protectedGateway)} (namespace ${String(protectedGateway.namespace)}) can ` +
          'serve the same namespace name; a public gateway skips handshake authentication for its namespace, so give ' +
          'it a namespace no protected gateway matches',
      );
    }
  }
}

function provablyOverlap(a: string | RegExp, b: string | RegExp): boolean {
  if (typeof a === 'string') return matchesNamespace(b, a);
  if (typeof b === 'string') return matchesNamespace(a, b);
  return a.source === b.source;
}

function gatewayName(gateway: GatewayInfo): string {
  return gateway.metatype.name || 'anonymous gateway';
}
