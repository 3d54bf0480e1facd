// Runs the extraction worker from source (tsx, vitest): registers tsx in this thread, then loads
// the TypeScript worker. The built code starts dist/kb/extract-worker.js directly.
import { register } from 'tsx/esm/api';

register();
await import('./extract-worker.ts');
