/**
 * Kept only because the root README quotes test/client/readme-usage.spec.ts verbatim (test/docs checks it) and
 * that file imports `cleanup` from here. Everything else uses the testing kit's auto-close directly
 * (`closeAfterTest`, `closeAll` from `@sockauth/testing`); delete this file once the README snippet does too.
 *
 * @deprecated Use `closeAll` from `@sockauth/testing`.
 */
export { closeAll as cleanup } from '@sockauth/testing';
