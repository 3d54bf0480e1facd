/**
 * Part of `npm run build`, after tsc and copy-static: bundles the compiled workflows into dist/workflow-bundle.js,
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
// Webpack turns a module it cannot find into a stub that throws at run time, and still succeeds:
// a bundle like that would fail every workflow task. The failure converter is the one required by
// path (copy-static copies it beside the compiled code first).
const missing = /Cannot find module '([\w@./-]+)'/.exec(code);
if (missing) throw new Error(`The workflow bundle lacks ${missing[1]}: run scripts/copy-static.ts before bundling (npm run build does).`);
await writeFile(compiled.prebuiltBundlePath, code);
console.log(`Wrote ${path.relative(process.cwd(), compiled.prebuiltBundlePath)} (${Math.round(code.length / 1024)} KB)`);
