/**
 * The `jose` every sockauth package loads, from one place.
 *
 * `jose` 6 is ESM-only. Node ≥ 20.19 can `require()` it, but jest's CommonJS module system cannot before
 * Node 24.9 (`Must use import to load ES Module`), so every CommonJS jest set-up (ts-jest, @swc/jest, babel-jest,
 * Nest's default) would need `transformIgnorePatterns` just to load sockauth. The ESM build re-exports `jose`
 * as it is. The CommonJS build replaces this module (packages/core/scripts/cjs-jose.mjs) with
 * `require('jose')` and, only where that throws `ERR_REQUIRE_ESM`, a CommonJS copy of the same `jose` made when
 * the package was built: plain Node always runs the application's own `jose`.
 *
 * Internal to sockauth's packages (`@sockauth/core/jose`); applications import `jose` itself.
 */
export * from 'jose';
