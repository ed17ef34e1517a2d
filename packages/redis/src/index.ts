export { RedisRevocationStore } from './redis-revocation-store.js';
export type {
  DuplicableRedisClient,
  RedisFailMode,
  RedisRevocationStoreOptions,
  RedisStoreStatus,
} from './redis-revocation-store.js';
