import { ConformanceFailure } from './failure.js';
import { TIMED_OUT, within, type FlowContext, type FlowUser } from './flow-context.js';
import type { FlowDefinition } from './flow.js';

/** How long a revocation may take to reach the live connections. */
const REVOCATION_CUT_MS = 5_000;

async function revoke(context: FlowContext, user: FlowUser): Promise<void> {
  await context.options.revoke({ subject: user.subject, sessionId: user.sessionId });
}

export const logoutOtherTab: FlowDefinition = {
  id: 'logout-other-tab',
  title: 'logout: logging out in one tab cuts every other tab of the same session, each told AUTH_REVOKED',
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const user = context.user();
    const tabs = [await context.connect(await context.token(user, { ttlSec: 60 })), await context.connect(await context.token(user, { ttlSec: 60 }))];
    await revoke(context, user);
    for (const [index, tab] of tabs.entries()) {
      const name = index === 0 ? 'the tab that logged out' : 'the other tab of the session';
      const end = await within(tab.ended, REVOCATION_CUT_MS);
      if (end === TIMED_OUT) {
        throw new ConformanceFailure(
          'TAB_NOT_CUT',
          `${name} was still connected ${REVOCATION_CUT_MS / 1000} s after revoke() resolved`,
          'on logout, revoke the session (sid) in the revocation store and disconnect every live socket of it, on every node; revoke() should resolve only once they are cut',
        );
      }
      if (end.error?.code !== 'AUTH_REVOKED') {
        throw new ConformanceFailure(
          'CUT_WITHOUT_REASON',
          `${name} was disconnected (${end.reason}) with ${end.error === undefined ? 'no auth:error' : `auth:error ${end.error.code}`}, not auth:error AUTH_REVOKED`,
          'send auth:error { code: "AUTH_REVOKED", action: "login" } before disconnecting a revoked socket, so the app asks the user to log in instead of retrying',
        );
      }
    }
  },
};

export const revokedReconnect: FlowDefinition = {
  id: 'revoked-reconnect',
  title: 'revocation: a revoked session cannot reconnect, with its old token or a newly minted one',
  timeoutMs: () => 20_000,
  async run(context: FlowContext) {
    const user = context.user();
    const oldToken = await context.token(user, { ttlSec: 60 });
    const connection = await context.connect(oldToken);
    await revoke(context, user);
    await within(connection.ended, REVOCATION_CUT_MS);
    // The old token, and one minted afterwards for the same session (what a refresh of that session would return).
    for (const [what, token] of [['its old token', oldToken], ['a token minted after the revocation', await context.token(user, { ttlSec: 60 })]] as const) {
      const outcome = await context.driver.connect(context.server.url, token, { timeoutMs: 5_000 }).then(
        (again) => context.track(again),
        (error: { code?: string }) => error,
      );
      if ('request' in outcome) {
        throw new ConformanceFailure(
          'REVOKED_SESSION_RECONNECTED',
          `the revoked session connected again with ${what}`,
          'check the revocation store at every handshake (tokens, sessions and subjects), not only against live sockets',
        );
      }
      if (outcome.code !== 'AUTH_REVOKED') {
        throw new ConformanceFailure(
          'REVOKED_SESSION_RECONNECTED',
          `the revoked session was refused with ${outcome.code ?? 'no sockauth code'} (with ${what}), not AUTH_REVOKED`,
          'refuse a revoked session at the handshake with AUTH_REVOKED (action login), so the client stops and asks for a login',
        );
      }
    }
  },
};
