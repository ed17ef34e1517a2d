import { ConformanceFailure } from './failure.js';
import type { FlowContext } from './flow-context.js';
import type { FlowDefinition } from './flow.js';
import { secretsOf } from './log-flows.js';

export const tokenNotEchoed: FlowDefinition = {
  id: 'token-not-echoed',
  title: 'handshake: the server\'s answer to the handshake never echoes the token (e.g. as the selected WebSocket subprotocol)',
  timeoutMs: () => 10_000,
  async run(context: FlowContext) {
    const token = await context.token(context.user(), { ttlSec: 60 });
    const connection = await context.connect(token);
    if (secretsOf(token).some((secret) => connection.handshakeAnswer.includes(secret))) {
      throw new ConformanceFailure(
        'TOKEN_ECHOED',
        `the server answered the handshake with the token (${context.driver.name}: ${connection.handshakeAnswer.length} characters holding it)`,
        'on a WebSocket, select the subprotocol "sockauth", never "sockauth.bearer.<token>" (proxies and browser tools record the answer\'s headers); answer nothing that holds the token',
      );
    }
  },
};
