import { All, Controller, Get, Header, Inject } from '@nestjs/common';
import { PAGE_CSP, type DemoPage } from '@sockauth/example-chat-common/page';
import { MethodNotAllowedException } from './api-exception.filter.js';
import { DEMO_PAGE } from './tokens.js';

/** `GET /` and `GET /app.js`: the demos' shared browser page (it talks to whichever server serves it). */
@Controller()
export class PageController {
  private readonly html: string;
  private readonly script: string;

  constructor(@Inject(DEMO_PAGE) page: DemoPage) {
    // Strings: Nest's Express adapter would send a Buffer as JSON.
    this.html = page.html.toString('utf8');
    this.script = page.script.toString('utf8');
  }

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  // The page only loads its own script (no inline code) and talks to its own origin.
  @Header('Content-Security-Policy', PAGE_CSP)
  @Header('X-Content-Type-Options', 'nosniff')
  page(): string {
    return this.html;
  }

  @Get('app.js')
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  pageScript(): string {
    return this.script;
  }

  @All(['/', 'app.js'])
  wrongMethod(): never {
    throw new MethodNotAllowedException(['GET', 'HEAD']);
  }
}
