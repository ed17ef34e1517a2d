import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JSONWebKeySet } from 'jose';

/** A JWKS endpoint on a loopback port. */
export interface JwksServer {
  /** The key set's URL, e.g. `http://127.0.0.1:41234/.well-known/jwks.json`. */
  readonly url: string;
  /** How many times the key set was fetched (to assert caching and rotation refetches). */
  readonly requests: number;
  /** Stops the server. Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the key set returned by `keys()` (read on every request, so rotations are visible at once) at
 * `/.well-known/jwks.json` on 127.0.0.1 and an ephemeral port. While `keys()` throws, the endpoint answers
 * `503 Service Unavailable` (an identity provider outage); those requests are counted too.
 *
 * @example
 * ```ts
 * let down = false;
 * const jwks = await serveJwks(() => {
 *   if (down) throw new Error('outage');
 *   return issuer.jwks();
 * });
 * const verifier = createVerifier({ algorithms: ['ES256'], jwksUri: jwks.url });
 * ```
 */
export async function serveJwks(keys: () => JSONWebKeySet): Promise<JwksServer> {
  let requests = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    requests++;
    let body: string;
    try {
      body = JSON.stringify(keys());
    } catch {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get requests() {
      return requests;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
