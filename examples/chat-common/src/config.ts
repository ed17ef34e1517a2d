import { randomBytes } from 'node:crypto';

/** Everything the chat server needs, resolved from the environment once at start-up. */
export interface ChatConfig {
  /** TCP port; `0` picks a free one. */
  readonly port: number;
  /** Interface to listen on. */
  readonly host: string;
  /** HS256 secret (at least 32 bytes). */
  readonly secret: string;
  /** True when `JWT_SECRET` was unset and {@link secret} was generated for this process. */
  readonly secretGenerated: boolean;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSec: number;
  readonly warnBeforeSec: number;
  readonly allowQueryToken: boolean;
  /** `AUDIT_LOG`: write sockauth's audit trail (one JSON line per auth decision) to stderr. */
  readonly auditLog: boolean;
  /**
   * `REDIS_URL`: when set, revocations go through Redis (`@sockauth/redis`) and Socket.IO uses the Redis adapter,
   * so several processes behind a load balancer act as one chat. Unset: everything in memory.
   */
  readonly redisUrl?: string;
}

/** A configuration mistake: the message says which variable and what is accepted. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** The HS256 verifier refuses shorter secrets (RFC 7518 §3.2: at least the size of the hash output). */
export const MIN_SECRET_BYTES = 32;
/** The verifier's own upper bound for clock tolerance. */
const MAX_CLOCK_TOLERANCE_SEC = 300;
const MAX_WARN_BEFORE_SEC = 86_400;

export const DEFAULTS = Object.freeze({
  port: 3000,
  host: '127.0.0.1',
  issuer: 'sockauth-demo',
  audience: 'sockauth-demo',
  clockToleranceSec: 5,
  warnBeforeSec: 30,
  allowQueryToken: false,
  auditLog: false,
});

type Env = Readonly<Record<string, string | undefined>>;

/** An empty variable counts as unset (`PORT= npm run demo` is the same as not setting it). */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function parseNumber(env: Env, name: string, fallback: number, min: number, max: number, integer: boolean): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const pattern = integer ? /^\d+$/ : /^\d+(\.\d+)?$/;
  const value = Number(raw);
  if (!pattern.test(raw) || !Number.isFinite(value) || value < min || value > max) {
    const kind = integer ? 'an integer' : 'a number';
    throw new ConfigError(`${name} must be ${kind} from ${min} to ${max} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

function parseBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  switch (raw.toLowerCase()) {
    case '1':
    case 'true':
      return true;
    case '0':
    case 'false':
      return false;
    default:
      throw new ConfigError(`${name} must be 1/true or 0/false (got ${JSON.stringify(raw)})`);
  }
}

function parseName(env: Env, name: string, fallback: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw.length > 512) throw new ConfigError(`${name} must be at most 512 characters`);
  return raw;
}

/**
 * Reads the HS256 secret. Shared with the token CLI, which refuses to run without one.
 * Never echoes the value: error messages only talk about its length.
 */
export function readSecret(env: Env): string | undefined {
  const secret = env['JWT_SECRET'];
  if (secret === undefined || secret === '') return undefined;
  if (Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes (HS256)`);
  }
  return secret;
}

/** `iss`/`aud` of the demo tokens, shared with the token CLI so its tokens match the server. */
export function readIssuerAudience(env: Env): { issuer: string; audience: string } {
  return { issuer: parseName(env, 'JWT_ISSUER', DEFAULTS.issuer), audience: parseName(env, 'JWT_AUDIENCE', DEFAULTS.audience) };
}

/** `REDIS_URL`: a `redis://` or `rediss://` URL. Never echoed: it may carry a password. */
function parseRedisUrl(env: Env): string | undefined {
  const raw = read(env, 'REDIS_URL');
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError('REDIS_URL must be a redis://host:port or rediss://host:port URL');
  }
  return raw;
}

/** Resolves the configuration from `env`. Throws {@link ConfigError} on any invalid value. */
export function loadConfig(env: Env = process.env): ChatConfig {
  const redisUrl = parseRedisUrl(env);
  const host = read(env, 'HOST') ?? DEFAULTS.host;
  if (/\s/.test(host) || host.length > 255) throw new ConfigError(`HOST must be a host name or IP address`);
  const configured = readSecret(env);
  return Object.freeze({
    port: parseNumber(env, 'PORT', DEFAULTS.port, 0, 65_535, true),
    host,
    // 48 random bytes, base64url: 64 characters, well over the HS256 minimum.
    secret: configured ?? randomBytes(48).toString('base64url'),
    secretGenerated: configured === undefined,
    ...readIssuerAudience(env),
    clockToleranceSec: parseNumber(env, 'CLOCK_TOLERANCE_SEC', DEFAULTS.clockToleranceSec, 0, MAX_CLOCK_TOLERANCE_SEC, false),
    warnBeforeSec: parseNumber(env, 'WARN_BEFORE_SEC', DEFAULTS.warnBeforeSec, 0, MAX_WARN_BEFORE_SEC, false),
    allowQueryToken: parseBoolean(env, 'ALLOW_QUERY_TOKEN', DEFAULTS.allowQueryToken),
    auditLog: parseBoolean(env, 'AUDIT_LOG', DEFAULTS.auditLog),
    ...(redisUrl !== undefined && { redisUrl }),
  });
}

/** `http://host:port`, with IPv6 literals bracketed. */
export function formatUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
