import type { ServerResponse } from 'node:http';
import { Catch, HttpException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';

// The error type and codes of the HTTP API are the Socket.IO example's, so both answer alike.
import { HttpError, type HttpErrorCode } from '@sockauth/example-socketio-chat/http-routes';

export { HttpError, badRequest, type HttpErrorCode } from '@sockauth/example-socketio-chat/http-routes';

/** 405 with `Allow`, for a known path used with another method. */
export const methodNotAllowed = (allowed: readonly string[]): HttpError =>
  new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${allowed.join(' or ')}`, { Allow: allowed.join(', ') });

const CODES_BY_STATUS: Readonly<Record<number, HttpErrorCode>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
};

/**
 * Renders every HTTP error as the Socket.IO example does, `{ error: { code, message } }` with `no-store`, instead
 * of Nest's default body. Unexpected errors are logged by name only (their messages could carry request data).
 * Nest does not apply global filters to gateways, so this only ever sees HTTP requests.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<ServerResponse>();
    let error: HttpError;
    if (exception instanceof HttpError) {
      error = exception;
    } else if (exception instanceof HttpException && CODES_BY_STATUS[exception.getStatus()] !== undefined) {
      const status = exception.getStatus();
      error = new HttpError(status, CODES_BY_STATUS[status]!, status === 404 ? 'no such route' : exception.message);
    } else {
      process.stderr.write(`http: unexpected ${(exception as Error)?.name ?? 'error'}\n`);
      error = new HttpError(500, 'INTERNAL', 'internal error');
    }
    sendJson(response, error.status, { error: { code: error.code, message: error.message } }, {
      ...error.headers,
      // Do not keep reading an oversized body: answer and close the connection.
      ...(error.status === 413 && { Connection: 'close' }),
    });
  }
}

/** Writes a JSON response (never cached), as the Socket.IO example does. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
  });
  res.end(text);
}
