import { ConformanceFailure } from './failure.js';
import { TIMED_OUT, within, type FlowContext } from './flow-context.js';
import type { FlowDefinition } from './flow.js';

/** The parts of a token that must never be logged: the whole token, and its signature (enough to replay it). */
export function secretsOf(token: string): string[] {
  const signature = token.split('.')[2];
  return signature !== undefined && signature.length >= 16 ? [token, signature] : [token];
}

export const tokensInLogs: FlowDefinition = {
  id: 'tokens-in-logs',
  title: 'logs: no token appears in the server\'s logs (handshakes accepted and refused, re-auth, revocation)',
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const logs = context.server.logs;
    if (logs === undefined) {
      throw new ConformanceFailure(
        'NO_LOG_CAPTURE',
        'the server handle returned by start() has no logs()',
        'return logs() from start() (the captured stdout/stderr, or your logger\'s records), or skip "tokens-in-logs" with a reason',
      );
    }
    const user = context.user();
    const connection = await context.connect(await context.token(user, { ttlSec: 60 }));
    // Refused handshakes: an expired token and a tampered one (the places servers most often log the raw input).
    const expired = await context.token(user, { ttlSec: -120 });
    for (const token of [expired, `${expired.slice(0, -8)}AAAAAAAA`]) {
      context.tokens.push(token);
      await context.driver.connect(context.server.url, token, { timeoutMs: 5_000 }).then(
        (unexpected) => unexpected.close(),
        () => undefined,
      );
    }
    await connection.request({ event: 'auth:refresh', payload: { token: await context.token(user, { ttlSec: 60 }) } }).catch(() => undefined);
    await connection.request({ event: 'auth:refresh', payload: { token: await context.token(context.user(), { ttlSec: 60 }) } }).catch(() => undefined);
    await context.options.revoke({ subject: user.subject, sessionId: user.sessionId });
    if ((await within(connection.ended, 5_000)) === TIMED_OUT) connection.close();
    const text = await logs.call(context.server);
    const leaked = context.tokens.find((token) => secretsOf(token).some((secret) => text.includes(secret)));
    if (leaked !== undefined) {
      throw new ConformanceFailure(
        'TOKEN_IN_LOGS',
        'a token (or its signature) appeared in the server\'s logs',
        'never log the handshake (auth, headers, query) or event payloads of auth:refresh as they are; log the subject, session and error code, and redact token query parameters from URLs',
      );
    }
  },
};
