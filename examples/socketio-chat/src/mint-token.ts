import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConfigError, readIssuerAudience, readSecret } from '@sockauth/example-chat-common/config';
import { MAX_TTL_SEC, hs256Key, signAccessToken } from '@sockauth/example-chat-common/identity-provider';

const USAGE = `Usage: npm run -s demo:token -- --sub <subject> [--scope "<space separated>"] [--ttl <seconds>] [--sid <id>] [--jti <id>]

Mints an HS256 access token for the demo server and prints only the token.
Needs the server's JWT_SECRET (and JWT_ISSUER / JWT_AUDIENCE if the server overrides them).
  --sub    subject (required)
  --scope  permissions, space separated, e.g. "chat:admin" or "chat:read chat:write" (default: none)
  --ttl    lifetime in seconds, at most 86400 (default 3600): the server keeps revocations that long
  --sid    session id claim (default: none)
  --jti    token id claim (default: a random UUID, so the token can be revoked by id)
`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<string> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: 'string' },
        scope: { type: 'string' },
        ttl: { type: 'string' },
        sid: { type: 'string' },
        jti: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const secret = readSecret(process.env);
  if (secret === undefined) {
    throw new ConfigError(
      'JWT_SECRET is not set: start the server with a JWT_SECRET and pass the same one here ' +
        '(without it, the server generates a random secret and only its /auth/login tokens work)',
    );
  }
  const subject = values.sub;
  if (subject === undefined || subject.trim() === '') throw new UsageError('--sub is required');
  const ttlText = values.ttl ?? '3600';
  const ttlSec = Number(ttlText);
  // Not longer than the server keeps a revocation (see revocation.ts): a revoked token must never work again.
  if (!/^\d+$/.test(ttlText) || ttlSec < 1 || ttlSec > MAX_TTL_SEC) {
    throw new UsageError(`--ttl must be a whole number of seconds from 1 to ${MAX_TTL_SEC}`);
  }
  for (const name of ['sid', 'jti'] as const) {
    if (values[name] !== undefined && values[name] === '') throw new UsageError(`--${name} must not be empty`);
  }
  const { token } = await signAccessToken(hs256Key(secret), {
    subject,
    scopes: (values.scope ?? '').split(' ').filter(Boolean),
    ttlSec,
    ...(values.sid !== undefined && { sessionId: values.sid }),
    tokenId: values.jti ?? randomUUID(),
    ...readIssuerAudience(process.env),
  });
  return token;
}

main(process.argv.slice(2)).then(
  (token) => process.stdout.write(`${token}\n`),
  (error: unknown) => {
    if (error instanceof UsageError) process.stderr.write(`demo:token: ${error.message}\n\n${USAGE}`);
    else if (error instanceof ConfigError) process.stderr.write(`demo:token: ${error.message}\n`);
    else process.stderr.write(`demo:token: ${(error as Error)?.message ?? String(error)}\n`);
    process.exit(1);
  },
);
