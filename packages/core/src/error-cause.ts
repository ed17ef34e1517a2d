import type { AuthErrorCause } from './errors.js';

/**
 * A safe summary of any failure for an {@link AuthErrorCause}: the error's class name, library code and failed
 * claim, never its message (which may echo token content).
 * @internal
 */
export function causeOf(error: unknown): AuthErrorCause {
  const e = error as { name?: unknown; code?: unknown; claim?: unknown } | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    ...(typeof e?.code === 'string' && { code: e.code }),
    ...(typeof e?.claim === 'string' && { claim: e.claim }),
  };
}
