// Worker-thread entry of the second training thread: loads the TypeScript worker through tsx, the
// same way bin/frontdesk.js does (a worker thread does not inherit the parent's loader hooks).
import { register } from 'tsx/esm/api';

register();
await import('./training-worker.ts');
