import { runDemo } from '@sockauth/example-chat-common/demo-main';
import { createChatServer } from './app.js';

/**
 * `npm run demo`: the chat on plain Socket.IO. Prints exactly one line to stdout, `listening on http://HOST:PORT`
 * (see chat-common's `runDemo`).
 */
runDemo('socketio-chat', createChatServer);
