/** The worker's workflowsPath: every workflow type this project registers. */
export { contentPipeline } from './content-pipeline.js';
export { parallelResearchWorkflow } from './parallel-research.js';
export { republishArticle } from './republish.js';
export { spendAccount } from './spend-account.js';
