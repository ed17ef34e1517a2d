import type { IncomingMessage } from 'node:http';
import { BEARER_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '@sockauth/core';

/**
 * Your own subprotocol selection, for servers that speak other subprotocols too: it sees the offered ones without
 * the bearer entry. Return the one to select, or `false`.
 *
 * @example
 * ```ts
 * const handleProtocols: WsProtocolSelector = (offered) => (offered.has('graphql-transport-ws') ? 'graphql-transport-ws' : false);
 * ```
 */
export type WsProtocolSelector = (offered: ReadonlySet<string>, req: IncomingMessage) => string | false;

/**
 * The `handleProtocols` of a `WebSocketServer`: the bearer entries are never selected (ws would otherwise select the
 * first offered subprotocol, the token when a client lists it first); `custom` chooses among the others when given;
 * else `sockauth` when offered, else none.
 */
export function protocolSelector(custom: WsProtocolSelector | undefined): (offered: Set<string>, req: IncomingMessage) => string | false {
  return (offered, req) => {
    const others = new Set<string>();
    for (const protocol of offered) if (!protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX)) others.add(protocol);
    if (custom !== undefined) {
      const chosen = custom(others, req);
      return typeof chosen === 'string' && others.has(chosen) ? chosen : false;
    }
    return others.has(SUBPROTOCOL) ? SUBPROTOCOL : false;
  };
}
