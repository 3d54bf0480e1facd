/**
 * Part of `npm run build`, after tsc: bundles the compiled workflows into dist/workflow-bundle.js,
 * which a compiled worker (`npm run worker:prod`) loads instead of bundling at startup. It runs the
 * compiled bundle module, so that its paths (dist/workflows, dist/workflow-bundle.js) are the ones
 * the compiled worker uses.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as BundleModule from '../src/temporal/bundle.js';

const compiled: typeof BundleModule = await import(pathToFileURL(path.resolve('dist', 'temporal', 'bundle.js')).href);
const { code } = await compiled.bundleWorkflows();
await writeFile(compiled.prebuiltBundlePath, code);
console.log(`Wrote ${path.relative(process.cwd(), compiled.prebuiltBundlePath)} (${Math.round(code.length / 1024)} KB)`);
