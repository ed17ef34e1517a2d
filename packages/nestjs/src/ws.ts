// `@sockauth/nestjs/ws`: the ws platform, apart from the main entry so that Socket.IO applications never load
// `@nestjs/platform-ws` (an optional peer dependency).
export { SockAuthWsAdapter } from './sockauth-ws.adapter.js';
