import { All, Controller, Get, Header, Inject } from '@nestjs/common';
import { methodNotAllowed } from './http-error.js';
import { INDEX_HTML } from './tokens.js';

/** `GET /`: the Socket.IO example's browser page (it talks to whichever server serves it). */
@Controller()
export class PageController {
  constructor(@Inject(INDEX_HTML) private readonly html: string) {}

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  // The page only loads its own scripts and talks to its own origin.
  @Header(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'",
  )
  @Header('X-Content-Type-Options', 'nosniff')
  page(): string {
    return this.html;
  }

  @All()
  wrongMethod(): never {
    throw methodNotAllowed(['GET', 'HEAD']);
  }
}
