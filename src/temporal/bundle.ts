/**
 * Workflow bundling. Our sources use ESM `.js` specifiers for `.ts` files, which webpack
 * resolves only with an extension alias; the bundle is built once and shared by both workers.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { failureConverterPath } from './codec.js';
import { bundleWorkflowCode, type WorkflowBundleOption, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

const here = fileURLToPath(import.meta.url);

/** `src/workflows/index.ts` under tsx, `dist/workflows/index.js` once compiled. */
export const workflowsPath = path.join(path.dirname(here), '..', 'workflows', `index${path.extname(here)}`);

/**
 * The bundle `npm run build` writes beside the compiled code (`dist/workflow-bundle.js`). Under
 * tsx this points into `src/`, where no bundle is ever written, so development always bundles the
 * current sources.
 */
export const prebuiltBundlePath = path.join(path.dirname(here), '..', 'workflow-bundle.js');

export function webpackConfigHook<T extends { resolve?: object }>(config: T): T {
  const resolve = (config.resolve ?? {}) as { extensionAlias?: Record<string, string[]> };
  return {
    ...config,
    resolve: { ...resolve, extensionAlias: { ...resolve.extensionAlias, '.js': ['.ts', '.js'] } },
  };
}

export async function bundleWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  // Workflow code encodes failures the way every worker and client does (codec.ts).
  return bundleWorkflowCode({ workflowsPath, failureConverterPath, webpackConfigHook, logger: quietBundlerLogger });
}

/**
 * What a worker runs: the bundle made at build time when there is one (a compiled deployment),
 * else a bundle made now. Bundling at startup takes seconds and leaves webpack's memory behind in
 * the worker (~100 MB of RSS, measured), which a production worker should not carry.
 */
export async function workflowBundleForWorker(): Promise<WorkflowBundleOption> {
  return existsSync(prebuiltBundlePath) ? { codePath: prebuiltBundlePath } : bundleWorkflows();
}

/** Webpack's progress chatter is noise at startup; warnings and errors still show. */
const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string, meta?: Record<string, unknown>) => console.warn(message, meta ?? ''),
  error: (message: string, meta?: Record<string, unknown>) => console.error(message, meta ?? ''),
};
