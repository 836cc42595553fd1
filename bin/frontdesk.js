#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so a checkout needs no build step.
import { setFlagsFromString } from 'node:v8';
import { register } from 'tsx/esm/api';

// Before any of our code runs: V8 otherwise decides during start-up (models, a burst of new
// connections) to allocate the per-message objects of busy call sites, such as the pg client's,
// straight in the old generation, where they become garbage that only major collections reclaim
// (docs/performance.md, round three).
setFlagsFromString('--no-allocation-site-pretenuring');
// V8's memory reducer takes a steady few hundred messages a second for a process going idle and
// starts a full collection every 8-9 s; its concurrent marking then fills both cores of a small
// machine for 60-90 ms, Postgres included, and every reply in flight waits (docs/performance.md,
// round four). Without it, full collections come when the old generation has doubled since the
// last one, which also bounds the heap at twice what is live.
setFlagsFromString('--no-memory-reducer');
setFlagsFromString('--heap-growing-percent=100');
register();
await import('../src/cli/main.ts');
