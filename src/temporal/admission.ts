/**
 * Admission of a new pipeline against the workspace's spend ceilings (issue 21), asked by the bot
 * before a run starts: a HOLD of the run's first step's worst case, reserved in the workspace's
 * spend account under the run's own workflow ID, which that step's calls then draw from (so an
 * admitted run is never refused its first step for what others spent meanwhile). Refused: no run
 * starts, and the requester is told which limit, what is used and when it resets.
 *
 * The hold's reservation ID is `<workflowId>:admission`, and it is the Update's ID: a command
 * Slack delivers again (the same workflow ID, src/slack/listeners/commands/research.ts) is
 * answered the same, never held twice. A hold nobody draws from (the start failed after it)
 * counts at its worst case until it expires (ADMISSION_TTL_MS), then stops counting.
 */
import type { SpendConfig } from '../config.js';
import { worstCaseOf } from '../activities/estimates.js';
import type { PriceTable } from '../shared/pricing.js';
import type { PipelineRequest } from '../workflows/messages.js';
import type { ReserveRequest, ReserveResult } from '../workflows/spend-messages.js';
import type { SpendAccount } from './spend.js';

/** Why a run was not admitted: a money limit, or too many pipelines running for the person. */
export type AdmissionRefusal = Extract<ReserveResult, { status: 'refused' }>;

/** How long an admission hold counts if no step draws from it (a run that never got going). */
export const ADMISSION_TTL_MS = 15 * 60 * 1000;

/** The hold's reservation ID (and Update ID); the run's first calls name it in `drawFrom`. */
export function admissionReservationId(workflowId: string): string {
  return `${workflowId}:admission`;
}

export interface AdmissionOptions {
  account: Pick<SpendAccount, 'reserve'>;
  spend: SpendConfig;
  /** The run's price table (MODEL_PRICES), as the run itself will price its calls. */
  prices: PriceTable;
  researchModel: string;
  writerModel: string;
  /** IDs of the requester's running pipelines (a visibility list); asked only when MAX_RUNNING_PER_USER is set. */
  runningOf: (userId: string) => Promise<string[]>;
}

/** The spend account could not answer (or no workspace was known): no run may start without the check. */
export class SpendCheckUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SpendCheckUnavailableError';
  }
}

/** Worst case of the run's first LLM step: research (three calls), or writing for `--docs-only`. 0 when unpriced. */
export function firstStepWorstCase(request: Pick<PipelineRequest, 'topic' | 'docsOnly'>, options: Pick<AdmissionOptions, 'prices' | 'researchModel' | 'writerModel'>): number {
  const worst = request.docsOnly
    ? worstCaseOf({ step: 'writing', topic: request.topic, model: options.writerModel, prices: options.prices })
    : worstCaseOf({ step: 'research', topic: request.topic, model: options.researchModel, prices: options.prices });
  return worst ?? 0;
}

/** The reserve request of an admission (pure: what is sent, for tests and the bench). */
export function admissionRequest(request: PipelineRequest, workflowId: string, options: Pick<AdmissionOptions, 'spend' | 'prices' | 'researchModel' | 'writerModel'>, running?: string[]): ReserveRequest & { teamId: string } {
  const { spend } = options;
  return {
    teamId: request.teamId!,
    reservationId: admissionReservationId(workflowId),
    userId: request.requestedBy,
    workflowId,
    amountUsd: firstStepWorstCase(request, options),
    ceilings: {
      ...(spend.teamDailyUsd !== undefined ? { teamDailyUsd: spend.teamDailyUsd } : {}),
      ...(spend.teamMonthlyUsd !== undefined ? { teamMonthlyUsd: spend.teamMonthlyUsd } : {}),
      ...(spend.userDailyUsd !== undefined ? { userDailyUsd: spend.userDailyUsd } : {}),
    },
    ttlMs: ADMISSION_TTL_MS,
    timeZone: spend.timeZone,
    ...(spend.maxRunningPerUser !== undefined && running ? { runningCheck: { limit: spend.maxRunningPerUser, running: running.filter((id) => id !== workflowId) } } : {}),
  };
}

/** Asks the account to admit the run: granted (the hold exists) or refused; throws SpendCheckUnavailableError otherwise. */
export async function admit(request: PipelineRequest, workflowId: string, options: AdmissionOptions): Promise<ReserveResult> {
  if (!request.teamId) throw new SpendCheckUnavailableError('the request names no Slack workspace, so there is no spend account to check');
  try {
    const running = options.spend.maxRunningPerUser !== undefined ? await options.runningOf(request.requestedBy) : undefined;
    return await options.account.reserve(admissionRequest(request, workflowId, options, running));
  } catch (error) {
    throw new SpendCheckUnavailableError(`could not check the spend ceilings: ${(error as Error).message}`, { cause: error });
  }
}
