/**
 * Part of `npm run build`: bundles the compiled workflows into dist/workflow-bundle.js, which a
 * compiled worker (`npm run worker:prod`) loads instead of bundling at startup.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

const dist = path.resolve('dist');
const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows', 'index.js') });
const out = path.join(dist, 'workflow-bundle.js');
await writeFile(out, code);
console.log(`Wrote ${path.relative(process.cwd(), out)} (${Math.round(code.length / 1024)} KB)`);
