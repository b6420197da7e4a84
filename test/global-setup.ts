/**
 * Starts the real local services once per test run (idempotent: already-running ones are
 * reused) and hands their addresses to every test file through `inject('serviceEnv')`.
 */
import type { TestProject } from 'vitest/node';
import { startServices } from './services/services';

export default async function setup(project: TestProject): Promise<void> {
  const { env } = await startServices();
  project.provide('serviceEnv', env);
}

declare module 'vitest' {
  export interface ProvidedContext {
    serviceEnv: Record<string, string>;
  }
}
