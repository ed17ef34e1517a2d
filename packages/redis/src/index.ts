export { RedisRevocationStore } from './redis-revocation-store.js';
export type { DuplicableRedisClient, RedisFailMode, RedisRevocationStoreOptions } from './options.js';
export type { RedisStoreStatus } from './status.js';
