/**
 * Listens for uncaught exceptions and unhandled rejections on the real `process`. Jest gives each test file a
 * copy of `process` whose listeners Node never calls, so the real one is fetched from the main context. (Jest
 * fails the running test on these too; the guard lets a suite assert on them itself, across every test.)
 */
import { runInThisContext } from 'node:vm';

export interface CrashGuard {
  /** Everything that reached the process unhandled since `install`. */
  readonly crashes: unknown[];
  uninstall(): void;
}

export function installCrashGuard(): CrashGuard {
  const real = runInThisContext('process') as NodeJS.Process;
  const crashes: unknown[] = [];
  const onCrash = (error: unknown): void => void crashes.push(error);
  real.on('uncaughtException', onCrash);
  real.on('unhandledRejection', onCrash);
  return {
    crashes,
    uninstall() {
      real.off('uncaughtException', onCrash);
      real.off('unhandledRejection', onCrash);
    },
  };
}
