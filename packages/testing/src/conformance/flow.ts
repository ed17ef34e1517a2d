import type { FlowContext } from './flow-context.js';
import type { FlowId } from './flow-ids.js';
import type { ResolvedConformanceOptions } from './options.js';

/** One flow of the suite: a test with a clear name, run black-box against the server. */
export interface FlowDefinition {
  readonly id: FlowId;
  /** The test name. */
  readonly title: string;
  /** Why the options rule this flow out (an explicit skip in them), or `undefined`. */
  skipped?(options: ResolvedConformanceOptions): string | undefined;
  /** The test timeout for these options, in ms. */
  timeoutMs(options: ResolvedConformanceOptions): number;
  /** Resolves when the server conforms; rejects with a `ConformanceFailure` saying what to change. */
  run(context: FlowContext): Promise<void>;
}
