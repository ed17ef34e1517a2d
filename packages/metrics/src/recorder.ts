import type { AuthErrorCode } from '@sockauth/core';
import type { SessionHooks as SockAuthHooks, VerifyInfo } from '@sockauth/core';

/** Labels (Prometheus) or attributes (OpenTelemetry) of one measurement: always short, known strings. */
export type MetricLabels = Record<string, string>;

/** What an exporter records; {@link hooksFor} turns sockauth hooks into these calls. */
export interface MetricsRecorder {
  count(
    metric: 'handshakes' | 'reauths' | 'eventRefusals' | 'expiries' | 'revocations' | 'roomEvictions' | 'roomJoinRefusals' | 'downgrades',
    labels?: MetricLabels,
  ): void;
  /** +1 when a socket becomes live, -1 when it is released. */
  live(delta: 1 | -1): void;
  /** +1 when a socket connects without authentication (an open namespace or path), -1 when it leaves. */
  anonymous(delta: 1 | -1): void;
  /** Verification time in seconds. */
  verified(seconds: number, labels: MetricLabels): void;
  /** Revocation lag in seconds: from the revocation's record to a socket cut on this node. */
  revocationLag(seconds: number, labels: MetricLabels): void;
}

/** Options shared by both exporters. */
export interface CommonMetricsOptions {
  /** Record the verify latency histogram (default `true`). Without it, no `onVerify` hook is installed. */
  readonly verifyLatency?: boolean;
}

function refusal(outcome: 'accepted' | 'refused', code: AuthErrorCode | undefined): MetricLabels {
  return code === undefined ? { outcome } : { outcome, code };
}

/** The hooks that feed `recorder`. Hooks never receive tokens, so no label can carry one either. */
export function hooksFor(recorder: MetricsRecorder, options: CommonMetricsOptions = {}): SockAuthHooks {
  const hooks: SockAuthHooks = {
    onAuthenticated: (info) => {
      recorder.count('handshakes', { stage: info.stage, outcome: 'accepted' });
      recorder.live(1);
    },
    onRelease: () => recorder.live(-1),
    onAuthFailure: (info) => {
      switch (info.stage) {
        case 'handshake':
        case 'recovery':
          recorder.count('handshakes', { stage: info.stage, ...refusal('refused', info.code) });
          break;
        case 'reauth':
          recorder.count('reauths', refusal('refused', info.code));
          break;
        case 'event':
          recorder.count('eventRefusals', { code: info.code });
          break;
        case 'join':
          recorder.count('roomJoinRefusals', { code: info.code });
          break;
      }
    },
    onReauth: () => recorder.count('reauths', { outcome: 'accepted' }),
    onExpire: () => recorder.count('expiries'),
    onRevoke: (info) => {
      recorder.count('revocations', { kind: info.kind });
      // A store that records no time gives no lag (rather than NaN); a node whose clock is behind the recording
      // node's would report a negative one: clamped to 0.
      if (!Number.isFinite(info.revokedAt)) return;
      recorder.revocationLag(Math.max(0, Date.now() - info.revokedAt) / 1000, { kind: info.kind });
    },
    onRoomLeft: (info) => recorder.count('roomEvictions', { code: info.code }),
    // One per downgraded context, whatever it lost: the permissions themselves would be unbounded labels.
    onDowngrade: (info) => recorder.count('downgrades', { reason: info.reason }),
    onAnonymous: (info) => recorder.anonymous(info.phase === 'connected' ? 1 : -1),
  };
  if (options.verifyLatency === false) return hooks;
  return {
    ...hooks,
    onVerify: (info: VerifyInfo) =>
      recorder.verified(info.durationMs / 1000, { stage: info.stage, outcome: info.outcome }),
  };
}
