#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a checkout needs no build step.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// Before any of our code runs: V8 otherwise decides during start-up (models, a burst of new
// connections) to allocate the per-message objects of busy call sites, such as the pg client's,
// straight in the old generation, where they become garbage that only major collections reclaim
// (docs/performance.md, round three).
setFlagsFromString('--no-allocation-site-pretenuring');
register();
await import('../src/cli/main.ts');
