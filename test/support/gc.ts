/**
 * Garbage collection on demand, for tests that assert what is (not) retained: jest runs without --expose-gc, so
 * the flag is set at run time and `gc` is taken from a fresh context, where V8 then defines it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { settle } from './async';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage twice, with pending callbacks run before each: weak references and finalizers need a second pass. */
export async function collectGarbage(): Promise<void> {
  await settle();
  gc();
  await settle();
  gc();
}

/** `heapUsed` once garbage is collected. */
export async function heapUsed(): Promise<number> {
  await collectGarbage();
  return process.memoryUsage().heapUsed;
}
