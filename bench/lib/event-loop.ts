import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { report } from './fork.js';

/**
 * The event-loop delay measure of a server worker, driven over IPC: `eld-start` (answers `eld-started`) and
 * `eld-stop` (answers `{ type: 'eld', p99Ms, maxMs }`). Returns the message handler: true when it handled one.
 */
export function eventLoopDelayOverIpc(resolutionMs: number): (message: Record<string, unknown>) => boolean {
  let eld: IntervalHistogram | undefined;
  return (message) => {
    if (message['type'] === 'eld-start') {
      eld = monitorEventLoopDelay({ resolution: resolutionMs });
      eld.enable();
      report({ type: 'eld-started' });
      return true;
    }
    if (message['type'] === 'eld-stop') {
      eld?.disable();
      report({ type: 'eld', p99Ms: (eld?.percentile(99) ?? 0) / 1e6, maxMs: (eld?.max ?? 0) / 1e6 });
      return true;
    }
    return false;
  };
}
