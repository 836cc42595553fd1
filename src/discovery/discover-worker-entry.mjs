// Worker-thread entry: loads the TypeScript worker through tsx, as the retraining worker does (a
// worker thread does not inherit the parent's loader hooks).
import { register } from 'tsx/esm/api';

register();
await import('./discover-worker.ts');
