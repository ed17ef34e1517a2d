import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { MAX_BODY_BYTES, type HttpErrorCode } from '@sockauth/example-chat-common/http-api';

/** 405 for a known path used with another method; the filter answers it with an `Allow` header. */
export class MethodNotAllowedException extends HttpException {
  constructor(readonly allowed: readonly string[]) {
    super({ code: 'METHOD_NOT_ALLOWED', message: `use ${allowed.join(' or ')}` }, 405);
  }
}

const CODES_BY_STATUS: Readonly<Record<number, HttpErrorCode>> = {
  400: 'BAD_REQUEST',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
};

const STATUS_MESSAGES: Readonly<Record<number, string>> = {
  400: 'body must be a JSON object',
  404: 'no such route',
  413: `body larger than ${MAX_BODY_BYTES} bytes`,
};

/**
 * Renders every HTTP error as the demo contract's `{ error: { code, message } }` (never cached) instead of Nest's
 * default body: `HttpException`s thrown by controllers, guards and pipes (their response's `code` and `message`,
 * else the status's), the body parser's errors (malformed JSON reaches here as Nest's `BadRequestException`, a
 * body over the limit as the parser's 413), and anything else as 500 `INTERNAL`, logged by name only (messages
 * of unexpected errors could carry request data). Nest does not apply global filters to gateways, so this only
 * ever sees HTTP requests.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw exception;
    const { httpAdapter } = this.adapterHost;
    const response = host.switchToHttp().getResponse();
    const { status, code, message } = describe(exception);
    httpAdapter.setHeader(response, 'Cache-Control', 'no-store');
    if (exception instanceof MethodNotAllowedException) httpAdapter.setHeader(response, 'Allow', exception.allowed.join(', '));
    // Do not keep reading an oversized body: answer and close the connection.
    if (status === 413) httpAdapter.setHeader(response, 'Connection', 'close');
    httpAdapter.reply(response, { error: { code, message } }, status);
  }
}

function describe(exception: unknown): { status: number; code: HttpErrorCode; message: string } {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    // This application's exceptions carry { code, message }. Nest's own (a route not found, the body parser's
    // errors it wraps) get a fixed message: theirs can quote the request ("… is not valid JSON").
    if (typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string') {
      const { code, message } = body as { code: HttpErrorCode; message?: unknown };
      return { status, code, message: typeof message === 'string' ? message : STATUS_MESSAGES[status] ?? 'error' };
    }
    return { status, code: CODES_BY_STATUS[status] ?? fallbackCode(status), message: STATUS_MESSAGES[status] ?? 'error' };
  }
  // The body parser's own errors (http-errors) when they reach here unwrapped: too large (413), or unreadable.
  const parserStatus = (exception as { status?: unknown } | null)?.status;
  if (typeof parserStatus === 'number' && parserStatus >= 400 && parserStatus < 500) {
    const status = parserStatus === 413 ? 413 : 400;
    return { status, code: CODES_BY_STATUS[status]!, message: STATUS_MESSAGES[status]! };
  }
  process.stderr.write(`http: unexpected ${(exception as Error)?.name ?? 'error'}\n`);
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}

function fallbackCode(status: number): HttpErrorCode {
  return status >= 500 ? 'INTERNAL' : 'BAD_REQUEST';
}
