/** Every rotator workflow, and nothing else (the worker bundles this file). */
export { rotatePostgresDualAccount } from './rotate-postgres-dual-account';
