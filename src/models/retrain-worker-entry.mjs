// Worker-thread entry: loads the TypeScript worker through tsx, the same way bin/frontdesk.js does
// (a worker thread does not inherit the parent's loader hooks).
import { register } from 'tsx/esm/api';

register();
await import('./retrain-worker.ts');
