import { EmitError } from './emit-error.js';
import { idempotencyKey } from './idempotency.js';

/**
 * Emits `event` so that it is safe to resend: the first argument (an object) gets an `id` unless it has one, and
 * when the ack is lost to a timeout or a disconnection the same payload — same `id` — is sent again once
 * `authenticated()` says the client is back, up to `attempts` times in all. Denied events and a closed client are
 * not retried.
 */
export async function emitIdempotent(
  emit: (event: string, ...args: unknown[]) => Promise<unknown>,
  authenticated: () => Promise<boolean>,
  event: string,
  args: readonly unknown[],
  attempts: number,
): Promise<unknown> {
  const [first, ...rest] = args;
  if (typeof first !== 'object' || first === null || Array.isArray(first)) {
    throw new TypeError('sockauth client: idempotent() needs an object as the first argument (it gets the id)');
  }
  const payload = (first as { id?: unknown }).id === undefined ? { ...first, id: idempotencyKey() } : first;
  for (let attempt = 1; ; attempt++) {
    try {
      return await emit(event, payload, ...rest);
    } catch (error) {
      if (!(error instanceof EmitError) || error.reason === 'closed' || attempt >= attempts) throw error;
      if (!(await authenticated())) throw error;
    }
  }
}
