import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * Nest's console logger, writing everything to stderr: the contract wants exactly one line on stdout,
 * `listening on http://HOST:PORT`.
 */
export class StderrLogger extends ConsoleLogger {
  protected override printMessages(
    messages: unknown[],
    context?: string,
    logLevel?: LogLevel,
    _writeStreamType?: 'stdout' | 'stderr',
    errorStack?: unknown,
    params?: Record<string, any>,
  ): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}
