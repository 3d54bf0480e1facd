/**
 * The bot's only door into Temporal: start a pipeline, forward a review decision.
 * Typed workflow and signal objects, never string names.
 */
import { randomBytes } from 'node:crypto';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { pipelineWorkflowId } from '../shared/ids.js';
import { contentPipeline } from '../workflows/content-pipeline.js';
import {
  approveSignal,
  budgetSignal,
  rejectSignal,
  type BudgetAnswer,
  type PipelineRequest,
  type PipelineSettings,
} from '../workflows/messages.js';

/**
 * How long a start or a signal may take before we tell the person to try again. Slack gives a
 * command 3 s for its first answer; the ack goes first, and this bounds the follow-up so that an
 * unreachable Temporal is reported promptly instead of after gRPC's own retries (the client's retry
 * interceptor overshoots the deadline a little: ~2 s in all, measured). A healthy start takes tens of ms.
 */
export const TEMPORAL_CALL_DEADLINE_MS = 1_500;

export interface PipelinesOptions {
  taskQueue: string;
  settings: PipelineSettings;
  /** Hard cap on a whole run: the workflow execution timeout. */
  executionTimeoutMs: number;
  now?: () => Date;
  /** Short unique suffix for workflow IDs. */
  suffix?: () => string;
}

export type ReviewOutcome = 'approved' | 'rejected';

export type ReviewDelivery =
  | { delivered: true }
  /** The workflow has finished (or never existed): nothing changed. */
  | { delivered: false; reason: 'finished' };

/** 6 base-36 characters: ~2 billion values, enough to keep same-day IDs for one topic apart. */
export function randomSuffix(): string {
  return (randomBytes(5).readUIntBE(0, 5) % 36 ** 6).toString(36).padStart(6, '0');
}

export class Pipelines {
  constructor(
    private readonly client: Client,
    private readonly options: PipelinesOptions,
  ) {}

  async start(request: PipelineRequest): Promise<{ workflowId: string }> {
    const now = this.options.now?.() ?? new Date();
    const workflowId = pipelineWorkflowId(request.topic, now, (this.options.suffix ?? randomSuffix)());
    await this.client.withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS, () => this.client.workflow.start(contentPipeline, {
      workflowId,
      taskQueue: this.options.taskQueue,
      args: [{ ...request, settings: this.options.settings }],
      workflowExecutionTimeout: this.options.executionTimeoutMs,
      // A retried start of the same ID attaches to the running pipeline instead of failing.
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `Research "${request.topic}" for ${request.requestedBy}`,
      memo: { topic: request.topic, requestedBy: request.requestedBy, channel: request.channel },
    }));
    return { workflowId };
  }

  async review(workflowId: string, outcome: ReviewOutcome, userId: string): Promise<ReviewDelivery> {
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(outcome === 'approved' ? approveSignal : rejectSignal, { userId }));
  }

  async answerBudget(workflowId: string, answer: BudgetAnswer, userId: string): Promise<ReviewDelivery> {
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(budgetSignal, { answer, userId }));
  }

  private async deliver(signal: () => Promise<void>): Promise<ReviewDelivery> {
    try {
      await this.client.withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS, signal);
      return { delivered: true };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { delivered: false, reason: 'finished' };
      throw error;
    }
  }
}
