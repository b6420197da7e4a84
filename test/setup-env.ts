// Each test file sees the running services' addresses in process.env, as a user's shell would.
// tsx's require hook lets code that loads modules by path (Temporal's data converter, the
// workflow bundle's entry) resolve TypeScript sources in tests exactly as under `rotator`.
import 'tsx/cjs';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { inject } from 'vitest';
import { captureOutput } from './helpers/log-scan';

Object.assign(process.env, inject('serviceEnv'));

// Temporal's own INFO lines (webpack statistics for every bundle) drown test output.
Runtime.install({ logger: new DefaultLogger('WARN') });

// what this process prints is kept, so tests can prove no secret value reached it
captureOutput();
