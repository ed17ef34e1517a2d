import { runDemo } from '@sockauth/example-chat-common/demo-main';
import { createChatServer } from './app.js';

/**
 * `npm run demo:ws`: the chat on plain WebSockets at `ws://HOST:PORT/ws`. Prints exactly one line to stdout,
 * `listening on http://HOST:PORT` (see chat-common's `runDemo`).
 */
runDemo('ws-chat', createChatServer);
