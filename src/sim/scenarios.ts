// The simulator's scenarios: one file per scenario under ./scenarios/, listed in
// ./scenarios/index.ts. This module keeps the import path the CLI, the report and the
// tests use.
export * from './scenarios/index.js';
