/**
 * The bot's only door into Temporal: start a pipeline, forward a review decision.
 * Typed workflow and signal objects, never string names.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { opaquePipelineWorkflowId, pipelineWorkflowId, safeSlackId, type WorkflowIdStyle } from '../shared/ids.js';
import { contentPipeline } from '../workflows/content-pipeline.js';
import { republishArticle } from '../workflows/republish.js';
import { NOT_THE_RUNS_CHANNEL } from '../workflows/publication.js';
import { describeRun, listRuns, UNREADABLE_RUN_TOPIC } from './listing.js';
import { PayloadDecodeError } from './codec.js';
import { admit, type AdmissionOptions, type AdmissionRefusal } from './admission.js';
import { TypedSearchAttributes } from '@temporalio/common';
import {
  approveEditedSignal,
  approveSignal,
  budgetSignal,
  cancelSignal,
  draftQuery,
  rejectSignal,
  requestChangesSignal,
  type BudgetAnswer,
  type DraftSnapshot,
  type PipelineRequest,
  type PipelineResult,
  type PipelineSettings,
} from '../workflows/messages.js';
import {
  ChannelAttribute,
  ChannelVisibilityAttribute,
  PayloadKeyAttribute,
  RequestedByAttribute,
  SEARCH_ATTRIBUTES,
  type ChannelVisibility,
  StageAttribute,
  stageAttributeValue,
} from '../workflows/search-attributes.js';

export interface PipelineFacts {
  running: boolean;
  status: string;
  channel?: string;
  requestedBy?: string;
  topic?: string;
  outcome?: string;
  decidedBy?: string;
  stage?: string;
  /** From the ChannelVisibility search attribute; undefined for runs started before it existed. */
  visibility?: ChannelVisibility;
  startTime: Date;
  /**
   * Set when the memo cannot be decoded (its key is no longer configured): requester and channel
   * then come from the search attributes, and topic, outcome and stage are unknown.
   */
  unreadable?: { keyId?: string };
}

export interface PipelineListing {
  workflowId: string;
  topic: string;
  stage: string;
  startTime: Date;
  /** Its memo could not be decoded (its encryption key is gone): `topic` is a placeholder. */
  unreadable?: boolean;
}

/**
 * IDs, stages and numbers only: the server indexes search attributes in plain text and no codec
 * covers them, so the topic stays in the (encrypted) memo.
 */
function initialSearchAttributes(request: PipelineRequest, visibility: ChannelVisibility, payloadKeyId: string | undefined): TypedSearchAttributes {
  return new TypedSearchAttributes([
    { key: RequestedByAttribute, value: request.requestedBy },
    { key: StageAttribute, value: stageAttributeValue('starting') },
    { key: ChannelAttribute, value: request.channel },
    { key: ChannelVisibilityAttribute, value: visibility },
    ...(payloadKeyId ? [{ key: PayloadKeyAttribute, value: payloadKeyId }] : []),
  ]);
}

const VISIBILITIES: readonly string[] = ['public', 'private', 'im', 'mpim'] satisfies ChannelVisibility[];

function visibilityOf(value: unknown): { visibility?: ChannelVisibility } {
  return typeof value === 'string' && VISIBILITIES.includes(value) ? { visibility: value as ChannelVisibility } : {};
}

/**
 * How long an admission (a visibility list and one reserve in the spend account) may take before
 * the requester is told the check could not be made. A burst of commands queues its reserves
 * (at most 4 in flight per account from one process: src/temporal/spend.ts), so it is generous.
 */
export const ADMISSION_DEADLINE_MS = 30_000;

/**
 * How long a start or a signal may take before we find out why. Slack gives a command 3 s for its
 * first answer; the ack goes first, and this bounds the follow-up so that an unreachable Temporal
 * is reported promptly instead of after gRPC's own retries (the client's retry interceptor
 * overshoots the deadline a little: ~1.6 s in all, measured). A healthy start takes tens of ms.
 */
export const TEMPORAL_CALL_DEADLINE_MS = 1_500;
/** The check that tells a slow server from an unreachable one (~0.6 s in all when unreachable). */
const HEALTH_CHECK_DEADLINE_MS = 300;
/**
 * A second try's deadline when the server answers its health check but was slow to do the call
 * (a burst of commands or clicks): telling the person "try again" would be wrong, since the call
 * may well go through, and a retried command would start a second pipeline.
 */
const SLOW_SERVER_DEADLINE_MS = 15_000;

/** The gRPC error under the client's ServiceError, if any. */
function grpcError(error: unknown): { code?: unknown; details?: unknown } | undefined {
  const candidates = [error, (error as { cause?: unknown } | undefined)?.cause];
  return candidates.find((e): e is { code?: unknown; details?: unknown } => Boolean(e) && typeof e === 'object' && 'code' in (e as object));
}

/**
 * gRPC status 4 (DEADLINE_EXCEEDED), or 1 (CANCELLED), which is how a call cut short by the
 * deadline sometimes ends: the call's time ran out, whether the server is slow or not there at all.
 */
function missedDeadline(error: unknown): boolean {
  const code = grpcError(error)?.code;
  return code === 4 || code === 1;
}

/**
 * grpc-js names the peer (`remote_addr=…`) in a deadline error when the call was sent on a live
 * connection: the server is there, only slow. Without it (unreachable, connection refused, server
 * just stopped) we ask the server directly. Should the wording change, we still ask.
 */
function reachedServer(error: unknown): boolean {
  const details = grpcError(error)?.details;
  return typeof details === 'string' && details.includes('remote_addr=');
}

export interface PipelinesOptions {
  taskQueue: string;
  settings: PipelineSettings;
  /** Hard cap on a whole run: the workflow execution timeout. */
  executionTimeoutMs: number;
  now?: () => Date;
  /** Short unique suffix for workflow IDs. */
  suffix?: () => string;
  /** WORKFLOW_ID_STYLE: `readable` (the default) puts the topic's slug in the ID, `opaque` a token unrelated to it. */
  workflowIdStyle?: WorkflowIdStyle;
  /**
   * The ID of the key new payloads are encrypted under (EncryptionCodec.currentKeyId), stored as
   * the run's PayloadKey search attribute so `npm run keys -- check` can tell which runs still need
   * it; undefined when encryption is off (nothing is set).
   */
  payloadKeyId?: string;
  /**
   * Spend ceilings (issue 21): when set, every start first reserves the run's admission hold in the
   * workspace's spend account (src/temporal/admission.ts); refused, no run starts.
   */
  admission?: Omit<AdmissionOptions, 'runningOf'>;
}

/** What a start did: `refused` set = the spend account refused admission and no run was started. */
export interface StartResult {
  workflowId: string;
  refused?: AdmissionRefusal;
}

export type ReviewOutcome = 'approved' | 'rejected';

/** What `/research publish <workflow-id>` found or did. */
export type RepublishResult =
  | { kind: 'not-approved'; outcome: string }
  | { kind: 'already-published'; channel: string; ts: string }
  | { kind: 'in-progress' }
  | { kind: 'published'; channel: string; ts: string; parts: number }
  | { kind: 'failed'; channel: string; slackError?: string; message: string }
  /** The republish workflow refused: asked from another channel than the run's. */
  | { kind: 'refused' };

/** How long `/research publish` waits for the publication before saying it is under way. */
const REPUBLISH_WAIT_MS = 30_000;

/** The republish workflow's ID: one per pipeline, so a second request finds the first. */
export function republishWorkflowId(workflowId: string): string {
  return `${workflowId}-publish`;
}

/** Slack's error in a failed republish (from the SlackChannelError's details), if it was one. */
function slackErrorOf(error: unknown): string | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) {
      const details = current.details?.[0] as { slackError?: unknown } | undefined;
      if (typeof details?.slackError === 'string') return details.slackError;
    }
    current = current instanceof WorkflowFailedError || current instanceof ActivityFailure || current instanceof ApplicationFailure ? current.cause : undefined;
  }
  return undefined;
}

export type ReviewDelivery =
  | { delivered: true }
  /** The workflow has finished (or never existed): nothing changed. */
  | { delivered: false; reason: 'finished' };

/** 6 base-36 characters: ~2 billion values, enough to keep same-day IDs for one topic apart. */
export function randomSuffix(): string {
  return (randomBytes(5).readUIntBE(0, 5) % 36 ** 6).toString(36).padStart(6, '0');
}

/** The same 6 base-36 characters, derived from a key: the same key always gives the same suffix. */
export function suffixFor(idempotencyKey: string): string {
  return (createHash('sha256').update(idempotencyKey).digest().readUIntBE(0, 5) % 36 ** 6).toString(36).padStart(6, '0');
}

/**
 * The 12 hex characters of an opaque workflow ID: random, or derived from the request's
 * idempotency key so that a repeated delivery gets the same ID (as the suffix does). That key is a
 * whole command delivery, trigger ID included, which Temporal never sees, so the token cannot be
 * confirmed by hashing guessed topics; a hash of the topic alone could be.
 */
export function opaqueToken(idempotencyKey?: string): string {
  return idempotencyKey === undefined
    ? randomBytes(6).toString('hex')
    : createHash('sha256').update(`opaque-workflow-id\n${idempotencyKey}`).digest('hex').slice(0, 12);
}

export interface StartOptions {
  /**
   * Identifies one request (e.g. one slash-command delivery): a repeated start with the same key,
   * such as Slack delivering the command again, gets the same workflow ID and so the same pipeline,
   * running or finished, instead of a second one.
   */
  idempotencyKey?: string;
  /**
   * Who may see the run in lists: `public` (everyone in the workspace) or members only. Unknown
   * (Slack could not say) counts as private: listed to members only, never to everyone.
   */
  visibility?: ChannelVisibility;
  /** How long the spend admission may take (default ADMISSION_DEADLINE_MS); a modal must be answered within Slack's 3 s. */
  admissionDeadlineMs?: number;
}

export class Pipelines {
  constructor(
    private readonly client: Client,
    private readonly options: PipelinesOptions,
  ) {}

  async start(request: PipelineRequest, { idempotencyKey, visibility = 'private', admissionDeadlineMs = ADMISSION_DEADLINE_MS }: StartOptions = {}): Promise<StartResult> {
    const now = this.options.now?.() ?? new Date();
    const suffix = idempotencyKey === undefined ? (this.options.suffix ?? randomSuffix)() : suffixFor(idempotencyKey);
    const workflowId =
      this.options.workflowIdStyle === 'opaque' ? opaquePipelineWorkflowId(opaqueToken(idempotencyKey), now, suffix) : pipelineWorkflowId(request.topic, now, suffix);
    // The first start after the bot came up must not beat the check: a run started without its
    // attributes is listed to no one, for good. (A check that fails, or misses the deadline, is
    // asked again next time; this start then goes without them, as before the check answered.)
    if (this.options.settings.searchAttributes && this.searchAttributesKnown === undefined) await this.refreshSearchAttributes(this.client.options.namespace);
    if (this.options.admission) {
      // The hold is reserved under the ID the run then starts with: a redelivered command (same
      // ID) is answered the same by the account and never held twice. Throws when the account
      // cannot answer: a run never starts without the check.
      const admission = await this.client.withDeadline(Date.now() + admissionDeadlineMs, () =>
        admit(request, workflowId, { ...this.options.admission!, runningOf: (userId) => this.runningIdsOf(userId) }));
      if (admission.status === 'refused') return { workflowId, refused: admission };
    }
    try {
      await this.call(() => this.client.workflow.start(contentPipeline, {
        workflowId,
        taskQueue: this.options.taskQueue,
        args: [{ ...request, settings: { ...this.options.settings, searchAttributes: this.searchAttributesReady() } }],
        ...(this.searchAttributesReady() ? { typedSearchAttributes: initialSearchAttributes(request, visibility, this.payloadKeyAttributeMissing ? undefined : this.options.payloadKeyId) } : {}),
        workflowExecutionTimeout: this.options.executionTimeoutMs,
        // A retried start of the same ID attaches to the running pipeline instead of failing,
        workflowIdConflictPolicy: 'USE_EXISTING',
        // and never starts a second run once that pipeline has closed.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `Research "${request.topic}" for ${request.requestedBy}`,
        memo: { topic: request.topic, requestedBy: request.requestedBy, channel: request.channel },
      }));
    } catch (error) {
      // The same request again after its pipeline already finished: that pipeline was the answer.
      if (error instanceof WorkflowExecutionAlreadyStartedError) return { workflowId };
      throw error;
    }
    return { workflowId };
  }

  async review(workflowId: string, outcome: ReviewOutcome, userId: string, version?: number): Promise<ReviewDelivery> {
    const action = { userId, ...(version !== undefined ? { version } : {}) };
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(outcome === 'approved' ? approveSignal : rejectSignal, action));
  }

  async answerBudget(workflowId: string, answer: BudgetAnswer, userId: string): Promise<ReviewDelivery> {
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(budgetSignal, { answer, userId }));
  }

  async requestChanges(workflowId: string, userId: string, version: number, feedback: string): Promise<ReviewDelivery> {
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(requestChangesSignal, { userId, version, feedback }));
  }

  async approveEdited(workflowId: string, userId: string, version: number, article: string): Promise<ReviewDelivery> {
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(approveEditedSignal, { userId, version, article }));
  }

  async reject(workflowId: string, userId: string, version: number | undefined, reason: string | undefined): Promise<ReviewDelivery> {
    return this.deliver(() =>
      this.client.workflow.getHandle(workflowId).signal(rejectSignal, { userId, ...(version !== undefined ? { version } : {}), ...(reason ? { reason } : {}) }),
    );
  }

  /**
   * Asks the run to cancel, saying who asks and from which channel: the workflow checks that they
   * may and that it is the run's own channel, then stops.
   */
  async cancel(workflowId: string, userId: string, channel: string | undefined): Promise<ReviewDelivery> {
    return this.deliver(() => this.client.workflow.getHandle(workflowId).signal(cancelSignal, { userId, ...(channel ? { channel } : {}) }));
  }

  /** Who started a pipeline, where, and how it ended, from its memo (works on closed runs, no worker needed). */
  async describe(workflowId: string): Promise<PipelineFacts | undefined> {
    try {
      const description = await this.call(() => this.client.workflow.getHandle(workflowId).describe());
      const memo = (description.memo ?? {}) as Record<string, unknown>;
      const text = (key: string) => (typeof memo[key] === 'string' ? (memo[key] as string) : undefined);
      return {
        running: description.status.name === 'RUNNING',
        status: description.status.name,
        channel: text('channel'),
        requestedBy: text('requestedBy'),
        topic: text('topic'),
        outcome: text('outcome'),
        decidedBy: text('decidedBy'),
        stage: text('stage'),
        ...visibilityOf(description.typedSearchAttributes?.get(ChannelVisibilityAttribute)),
        startTime: description.startTime,
      };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      if (error instanceof PayloadDecodeError) return this.describeUnreadable(workflowId);
      throw error;
    }
  }

  /**
   * A run whose memo this bot cannot decode (its key is gone): what its search attributes say
   * (requester and channel are IDs there too), so permission is still decided the usual way and
   * the person is told why nothing can be done.
   */
  private async describeUnreadable(workflowId: string): Promise<PipelineFacts | undefined> {
    const run = await this.call(() => describeRun(this.client, workflowId));
    const attribute = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
    return {
      running: run.status.name === 'RUNNING',
      status: run.status.name,
      channel: attribute(run.typedSearchAttributes.get(ChannelAttribute)),
      requestedBy: attribute(run.typedSearchAttributes.get(RequestedByAttribute)),
      ...visibilityOf(run.typedSearchAttributes.get(ChannelVisibilityAttribute)),
      startTime: run.startTime,
      unreadable: { ...(run.unreadable?.keyId ? { keyId: run.unreadable.keyId } : {}) },
    };
  }

  /**
   * Publishes an approved article whose publication failed (the run completed with `unpublished`),
   * through the republishArticle workflow: at most one success per pipeline; a failed attempt may
   * be repeated once the channel is fixed. The caller has checked that the run has finished, that
   * the user may do this and that `askedFrom` is the run's channel; the workflow checks the channel again.
   */
  async republish(workflowId: string, userId: string, askedFrom: string): Promise<RepublishResult> {
    let result: PipelineResult;
    try {
      result = (await this.call(() => this.client.workflow.getHandle(workflowId).result())) as PipelineResult;
    } catch (error) {
      if (error instanceof WorkflowFailedError) return { kind: 'not-approved', outcome: 'failed or cancelled' };
      throw error;
    }
    if (result.decision.outcome !== 'approved') return { kind: 'not-approved', outcome: result.decision.outcome };
    if (result.published) return { kind: 'already-published', channel: result.published.channel, ts: result.published.ts };
    if (!result.unpublished) return { kind: 'not-approved', outcome: 'approved without an article to publish' };
    const id = republishWorkflowId(workflowId);
    let handle;
    try {
      handle = await this.call(() => this.client.workflow.start(republishArticle, {
        workflowId: id,
        taskQueue: this.options.taskQueue,
        args: [{ workflowId, topic: result.topic, article: result.article, versions: result.versions, unpublished: result.unpublished!, requestedBy: userId, askedFrom }],
        // Published once; a failed attempt (channel still unusable) may be tried again.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        staticSummary: `Publish "${result.topic}" again for ${userId}`,
      }));
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      const existing = this.client.workflow.getHandle(id);
      const description = await this.call(() => existing.describe());
      if (description.status.name === 'RUNNING') return { kind: 'in-progress' };
      const published = (await this.call(() => existing.result())) as { channel: string; ts: string };
      return { kind: 'already-published', channel: published.channel, ts: published.ts };
    }
    const channel = result.unpublished.channel;
    let timer: NodeJS.Timeout | undefined;
    try {
      const waited = await Promise.race([
        handle.result(),
        new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), REPUBLISH_WAIT_MS); }),
      ]);
      if (!waited) return { kind: 'in-progress' };
      return { kind: 'published', ...waited };
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      if (error.cause instanceof ApplicationFailure && error.cause.type === NOT_THE_RUNS_CHANNEL) return { kind: 'refused' };
      const slackError = slackErrorOf(error);
      return { kind: 'failed', channel, ...(slackError ? { slackError } : {}), message: error.cause?.message ?? error.message };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The current draft (for the Edit modal), straight from the workflow. */
  async draft(workflowId: string): Promise<DraftSnapshot> {
    return this.call(() => this.client.workflow.getHandle(workflowId).query(draftQuery));
  }

  /**
   * A user's running pipelines in one channel, newest first (Temporal visibility). The channel is
   * in the query, so only that conversation's runs leave the server (the person asking is in it:
   * Slack delivered their command from there).
   */
  async listRunning(userId: string, channel: string, limit = 20): Promise<PipelineListing[]> {
    const query = this.searchAttributesReady()
      ? `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running' AND RequestedBy = '${safeSlackId(userId)}' AND Channel = '${safeSlackId(channel)}'`
      : `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running'`;
    const listings: PipelineListing[] = [];
    await this.client.withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS * 2, async () => {
      for await (const run of listRuns(this.client, { query, pageSize: 100 })) {
        if (run.unreadable) {
          // Its memo's key is gone: listed (with a placeholder, never failing the whole answer) only
          // when the query itself matched requester and channel, which without the memo is all we know.
          if (!this.searchAttributesReady()) continue;
          listings.push({ workflowId: run.workflowId, topic: UNREADABLE_RUN_TOPIC, stage: 'unknown', startTime: run.startTime, unreadable: true });
          if (listings.length >= limit) break;
          continue;
        }
        const memo = (run.memo ?? {}) as Record<string, unknown>;
        if (memo.requestedBy !== userId || memo.channel !== channel) continue;
        listings.push({
          workflowId: run.workflowId,
          topic: typeof memo.topic === 'string' ? memo.topic : run.workflowId,
          stage: typeof memo.stage === 'string' ? memo.stage : 'starting',
          startTime: run.startTime,
        });
        if (listings.length >= limit) break;
      }
    });
    return listings.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
  }

  /**
   * IDs of every pipeline a person has running, in any channel (for MAX_RUNNING_PER_USER). Visibility
   * lags a start by a moment; the spend account adds the runs it admitted meanwhile.
   */
  async runningIdsOf(userId: string): Promise<string[]> {
    const ready = this.searchAttributesReady();
    const query = ready
      ? `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running' AND RequestedBy = '${safeSlackId(userId)}'`
      : `WorkflowType = 'contentPipeline' AND ExecutionStatus = 'Running'`;
    const ids: string[] = [];
    for await (const run of listRuns(this.client, { query, pageSize: 100 })) {
      // Without the attribute, the memo says whose run it is; an unreadable one cannot be placed.
      if (!ready && (run.unreadable || ((run.memo ?? {}) as Record<string, unknown>).requestedBy !== userId)) continue;
      ids.push(run.workflowId);
      if (ids.length >= 10_000) break;
    }
    return ids;
  }

  // ── Search attributes: used only once the server is known to have them ────────────────────
  private searchAttributesKnown: boolean | undefined;
  /** The search attributes the lists need that the server lacks (known once the check has answered). */
  missingSearchAttributes: string[] = [];
  /**
   * True when the server lacks PayloadKey (added with encryption): runs start without it, and
   * lists still work, but `npm run keys -- check` cannot tell which key those runs need.
   */
  payloadKeyAttributeMissing = false;
  private searchAttributesCheck: Promise<void> | undefined;

  /** Asks the server (once it answers) whether all of SEARCH_ATTRIBUTES are registered. */
  refreshSearchAttributes(namespace: string): Promise<void> {
    this.searchAttributesCheck ??= this.client
      .withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS, () => this.client.connection.operatorService.listSearchAttributes({ namespace }))
      .then((response) => {
        const names = Object.keys(response.customAttributes ?? {});
        const missing = SEARCH_ATTRIBUTES.map((key) => key.name).filter((name) => !names.includes(name));
        // A server set up before PayloadKey existed keeps its lists until `npm run setup:temporal` adds it.
        this.payloadKeyAttributeMissing = missing.includes(PayloadKeyAttribute.name);
        this.missingSearchAttributes = missing.filter((name) => name !== PayloadKeyAttribute.name);
        this.searchAttributesKnown = this.missingSearchAttributes.length === 0;
      })
      .catch(() => {
        this.searchAttributesCheck = undefined; // try again next time
      });
    return this.searchAttributesCheck;
  }

  private searchAttributesReady(): boolean {
    return this.options.settings.searchAttributes && this.searchAttributesKnown === true;
  }

  /**
   * One call to Temporal under the deadline. When the deadline passes, the error (or else a quick
   * health check) tells why: unreachable → the error goes up at once (the person is told to try
   * again); alive but slow → the call is made again with more time. Every call made through here
   * is safe to repeat: a start reuses its workflow ID (USE_EXISTING), the workflow keeps only the
   * first decision of each kind, and reads change nothing.
   */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.client.withDeadline(Date.now() + TEMPORAL_CALL_DEADLINE_MS, fn);
    } catch (error) {
      if (!missedDeadline(error) || !(reachedServer(error) || (await this.serverAnswers()))) throw error;
      return await this.client.withDeadline(Date.now() + SLOW_SERVER_DEADLINE_MS, fn);
    }
  }

  private async serverAnswers(): Promise<boolean> {
    const { workflowService } = this.client.connection;
    try {
      // Answered by the frontend alone (no persistence), so a busy server still answers it quickly.
      await this.client.withDeadline(Date.now() + HEALTH_CHECK_DEADLINE_MS, () => workflowService.getSystemInfo({}));
      return true;
    } catch {
      return false;
    }
  }

  private async deliver(signal: () => Promise<void>): Promise<ReviewDelivery> {
    try {
      await this.call(signal);
      return { delivered: true };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { delivered: false, reason: 'finished' };
      throw error;
    }
  }
}
