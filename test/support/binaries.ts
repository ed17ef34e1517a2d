import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The path of a system binary the tests need: `process.env[envVar]` when set, else the first `name` on `PATH`
 * (or in /usr/bin, /usr/sbin, /usr/local/bin, which a minimal `PATH` may lack). Throws `missingMessage` when
 * there is none: tests that need a binary fail, they never skip.
 */
export function findBinary(name: string, envVar: string, missingMessage: string): string {
  const explicit = process.env[envVar];
  const candidates = explicit
    ? [explicit]
    : [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin', '/usr/local/bin'].map((dir) =>
        join(dir, name),
      );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Try the next one.
    }
  }
  throw new Error(missingMessage);
}
