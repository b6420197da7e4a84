/** Every rotator workflow, and nothing else (the worker bundles this file). */
export { rotatePostgresDualAccount } from './rotate-postgres-dual-account';
export { triggerRotation } from './trigger-rotation';
export { respondToLeak } from './respond-to-leak';
