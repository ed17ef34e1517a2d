import type { NestExpressApplication } from '@nestjs/platform-express';
import { MAX_BODY_BYTES } from '@sockauth/example-chat-common/http-api';

/**
 * The HTTP settings of the application, applied before it listens (by `main.ts`, and by tests that build the
 * app themselves): Nest's JSON body parser with the demos' body limit (a larger body is a 413, rendered by
 * `ApiExceptionFilter`), and no `X-Powered-By`.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config));
 * configureHttp(app);
 * ```
 */
export function configureHttp(app: NestExpressApplication): void {
  // Every body is read as JSON whatever its Content-Type, as the Socket.IO demo does: the contract drives both demos
  // black-box, and `curl -d '{...}'` (form-encoded by default) must get the same answer from each.
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, type: () => true });
  app.disable('x-powered-by');
}
