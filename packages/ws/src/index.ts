export { WS_CLOSE_CODES, closeCodeFor, closeReason } from '@sockauth/core';
