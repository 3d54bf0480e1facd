/**
 * Once per `npm test`: a real Temporal dev server (in memory, headless, free port) and the
 * workflow bundle, shared by every test file through vitest's `provide` / `inject`.
 */
import type { TestProject } from 'vitest/node';
import { ensureTemporalCli } from '../src/temporal/cli.js';
import { startDevServer, type DevServer } from '../src/temporal/dev-server.js';
import { bundleWorkflows } from '../src/temporal/bundle.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../src/workflows/search-attributes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    workflowBundleCode: string;
  }
}

let server: DevServer | undefined;

export default async function setup(project: TestProject) {
  const cliPath = await ensureTemporalCli({ env: process.env });
  const [started, bundle] = await Promise.all([
    startDevServer({ cliPath, headless: true, logLevel: 'error', searchAttributes: SEARCH_ATTRIBUTE_FLAGS }),
    bundleWorkflows(),
  ]);
  server = started;
  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cliPath);
  project.provide('workflowBundleCode', bundle.code);
  return async () => {
    await server?.stop();
  };
}
