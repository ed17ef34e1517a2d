import type { IncomingMessage } from 'node:http';
import { MAX_BODY_BYTES } from '@sockauth/example-socketio-chat/http-routes';
import { HttpError, badRequest } from './http-error.js';

/**
 * Reads a JSON object body of at most `MAX_BODY_BYTES` (the Socket.IO example's limit), whatever the content type,
 * as the Socket.IO example does. Nest's body parser is off in this app (`bodyParser: false`): with it, malformed
 * or oversized bodies would be answered by Express before any of the app's code, in another format.
 */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  let body: unknown;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('body must be JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object');
  return body as Record<string, unknown>;
}
