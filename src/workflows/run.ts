/**
 * What every part of a pipeline run shares: the request, its settings, the thread it lives in,
 * and how it ended. Plain data; each module keeps the rest of its state to itself.
 */
import { workflowInfo } from '@temporalio/workflow';
import { Deadline } from './deadline.js';
import type { Decision, PipelineInput, PipelineSettings, SpendPayer } from './messages.js';
import { DEFAULT_SETTINGS } from './policies.js';

export interface RunContext {
  readonly topic: string;
  readonly requestedBy: string;
  readonly channel: string;
  readonly workflowId: string;
  /** Where the requester can be told things ephemerally (the command's response_url), if known. */
  readonly responseUrl?: string;
  readonly botUserId?: string;
  /** The slash command as typed, for advice (`/research publish …`). */
  readonly command: string;
  readonly settings: PipelineSettings;
  /** `--docs-only`: grounded in the team's documents alone. */
  readonly docsOnly: boolean;
  /**
   * Who pays for the run's LLM calls under spend ceilings (the workspace, the requester, the run's
   * admission hold); absent when the request has no workspace (runs from before spend ceilings).
   */
  readonly payer?: SpendPayer;
  /** When the run wraps up, shortly before Temporal's hard cap: every wait ends by then. */
  readonly deadline: Deadline;
  /** Workflow time at the start (deterministic). */
  readonly startedAt: number;
  /** The thread's root and status message, once openThread has posted them. */
  readonly posted: { threadTs?: string; statusTs?: string };
  /** How the run ended; set once. */
  decision?: Decision;
  /** Who asked to cancel, if someone did (the signal arrives just before the cancellation). */
  cancelledBy?: string;
}

export function newRun(input: PipelineInput): RunContext {
  const { workflowId } = workflowInfo();
  return {
    topic: input.topic,
    requestedBy: input.requestedBy,
    channel: input.channel,
    workflowId,
    ...(input.responseUrl ? { responseUrl: input.responseUrl } : {}),
    ...(input.botUserId ? { botUserId: input.botUserId } : {}),
    command: input.command ?? '/research',
    settings: { ...DEFAULT_SETTINGS, ...input.settings },
    docsOnly: input.docsOnly === true,
    ...(input.teamId ? { payer: { teamId: input.teamId, userId: input.requestedBy, holdId: admissionHoldId(workflowId) } } : {}),
    deadline: new Deadline(),
    startedAt: Date.now(),
    posted: {},
  };
}

/** Where thread replies go; only called once the thread exists. */
/** The reservation the bot made for a run before starting it; the run's first calls draw from it. */
export function admissionHoldId(workflowId: string): string {
  return `${workflowId}:admission`;
}

export function threadOf(run: RunContext): { channel: string; threadTs: string; workflowId: string } {
  return { channel: run.channel, threadTs: run.posted.threadTs!, workflowId: run.workflowId };
}
