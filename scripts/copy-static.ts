/**
 * Part of `npm run build`: copies the files tsc does not emit (the playground's page, its script
 * and stylesheet) beside the compiled code, so `dist/playground/` serves the same page as
 * `src/playground/` (test/deploy/image-build.test.ts loads it from a compiled build).
 */
import { cp } from 'node:fs/promises';
import path from 'node:path';

const from = path.resolve('src', 'playground', 'static');
const to = path.resolve('dist', 'playground', 'static');
await cp(from, to, { recursive: true });
console.log(`Copied ${path.relative(process.cwd(), from)} to ${path.relative(process.cwd(), to)}`);

// Temporal require()s the failure converter by path (src/temporal/codec.ts): tsc emits no .cjs.
await cp(path.resolve('src', 'temporal', 'failure-converter.cjs'), path.resolve('dist', 'temporal', 'failure-converter.cjs'));
console.log('Copied src/temporal/failure-converter.cjs to dist/temporal/');
