/**
 * Reads timings out of workflow histories (server clock, ms since the epoch): the research
 * window of the child, and the milestones of a pipeline from start to draft.
 */
import type { Client } from '@temporalio/client';

/** temporal.api.enums.v1.EventType values we read (stable protocol numbers). */
const EVENT = {
  WORKFLOW_EXECUTION_STARTED: 1,
  WORKFLOW_EXECUTION_COMPLETED: 2,
  WORKFLOW_TASK_SCHEDULED: 5,
  TIMER_STARTED: 17,
  TIMER_FIRED: 18,
  TIMER_CANCELED: 19,
  MARKER_RECORDED: 25,
  UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: 40,
  WORKFLOW_PROPERTIES_MODIFIED: 46,
  SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: 37,
  EXTERNAL_WORKFLOW_EXECUTION_SIGNALED: 39,
  WORKFLOW_EXECUTION_SIGNALED: 26,
  WORKFLOW_TASK_STARTED: 6,
  WORKFLOW_TASK_COMPLETED: 7,
  ACTIVITY_TASK_SCHEDULED: 10,
  ACTIVITY_TASK_STARTED: 11,
  ACTIVITY_TASK_COMPLETED: 12,
  START_CHILD_WORKFLOW_EXECUTION_INITIATED: 29,
  CHILD_WORKFLOW_EXECUTION_STARTED: 31,
  CHILD_WORKFLOW_EXECUTION_COMPLETED: 32,
} as const;

interface LongLike {
  toNumber(): number;
}
interface TimestampLike {
  seconds?: number | LongLike | null;
  nanos?: number | null;
}

function toMs(ts: TimestampLike | null | undefined): number {
  if (!ts) return Number.NaN;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds ? ts.seconds.toNumber() : 0;
  return seconds * 1_000 + (ts.nanos ?? 0) / 1e6;
}

interface Event {
  id: number;
  type: number;
  at: number;
  activityType?: string;
  scheduledId?: number;
  signalName?: string;
}

async function eventsOf(client: Client, workflowId: string): Promise<Event[]> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).map((event) => {
    const id = Number(event.eventId ?? 0);
    const scheduled = event.activityTaskScheduledEventAttributes;
    const completed = event.activityTaskCompletedEventAttributes;
    const started = event.activityTaskStartedEventAttributes;
    return {
      id,
      type: Number(event.eventType ?? 0),
      at: toMs(event.eventTime as TimestampLike),
      ...(scheduled?.activityType?.name ? { activityType: scheduled.activityType.name } : {}),
      ...(event.workflowExecutionSignaledEventAttributes?.signalName ? { signalName: event.workflowExecutionSignaledEventAttributes.signalName } : {}),
      ...(completed ? { scheduledId: Number(completed.scheduledEventId) } : started ? { scheduledId: Number(started.scheduledEventId) } : {}),
    };
  });
}

export interface ActivitySpan {
  type: string;
  scheduledAt: number;
  startedAt: number;
  completedAt: number;
}

function activitySpans(events: Event[]): ActivitySpan[] {
  const spans = new Map<number, ActivitySpan>();
  for (const event of events) {
    if (event.type === EVENT.ACTIVITY_TASK_SCHEDULED) {
      spans.set(event.id, { type: event.activityType ?? '?', scheduledAt: event.at, startedAt: Number.NaN, completedAt: Number.NaN });
    } else if (event.type === EVENT.ACTIVITY_TASK_STARTED && event.scheduledId) {
      const span = spans.get(event.scheduledId);
      if (span) span.startedAt = event.at;
    } else if (event.type === EVENT.ACTIVITY_TASK_COMPLETED && event.scheduledId) {
      const span = spans.get(event.scheduledId);
      if (span) span.completedAt = event.at;
    }
  }
  return [...spans.values()];
}

export interface ResearchWindow {
  /** First ActivityTaskScheduled → last ActivityTaskCompleted in the child. */
  wallMs: number;
  childStartedAt: number;
  firstScheduledAt: number;
  lastCompletedAt: number;
  childCompletedAt: number;
  activities: ActivitySpan[];
}

export async function researchWindow(client: Client, parentId: string): Promise<ResearchWindow> {
  const events = await eventsOf(client, `${parentId}-parallel-research`);
  const spans = activitySpans(events);
  const firstScheduledAt = Math.min(...spans.map((s) => s.scheduledAt));
  const lastCompletedAt = Math.max(...spans.map((s) => s.completedAt));
  return {
    wallMs: lastCompletedAt - firstScheduledAt,
    childStartedAt: events[0]?.at ?? Number.NaN,
    firstScheduledAt,
    lastCompletedAt,
    childCompletedAt: events.at(-1)?.at ?? Number.NaN,
    activities: spans,
  };
}

export interface Milestone {
  label: string;
  /** Server time, ms since the epoch. */
  at: number;
}

/**
 * From the parent's and the child's histories: when each step of the path to the draft was
 * scheduled and completed. Consecutive differences show where time goes.
 */
export async function pipelineMilestones(client: Client, parentId: string): Promise<Milestone[]> {
  const [parent, research] = await Promise.all([eventsOf(client, parentId), researchWindow(client, parentId)]);
  const spans = activitySpans(parent);
  const milestones: Milestone[] = [];
  const add = (label: string, at: number | undefined) => {
    if (at !== undefined && Number.isFinite(at)) milestones.push({ label, at });
  };
  add('workflow started', parent.find((e) => e.type === EVENT.WORKFLOW_EXECUTION_STARTED)?.at);
  const span = (type: string) => spans.find((s) => s.type === type);
  add('child initiated', parent.find((e) => e.type === EVENT.START_CHILD_WORKFLOW_EXECUTION_INITIATED)?.at);
  // On the path: the thread's root is posted before research starts (no LLM call for a thread
  // that cannot exist). The status message is off the path: research starts beside it.
  add('openThread scheduled', span('openThread')?.scheduledAt);
  add('openThread completed', span('openThread')?.completedAt);
  add('postStatusMessage scheduled', span('postStatusMessage')?.scheduledAt);
  add('postStatusMessage completed', span('postStatusMessage')?.completedAt);
  add('child started', parent.find((e) => e.type === EVENT.CHILD_WORKFLOW_EXECUTION_STARTED)?.at);
  add('research scheduled', research.firstScheduledAt);
  add('research completed (last)', research.lastCompletedAt);
  add('child completed', parent.find((e) => e.type === EVENT.CHILD_WORKFLOW_EXECUTION_COMPLETED)?.at);
  add('writeArticle scheduled', span('writeArticle')?.scheduledAt);
  add('writeArticle completed', span('writeArticle')?.completedAt);
  add('postDraft scheduled', span('postDraft')?.scheduledAt);
  add('postDraft completed', span('postDraft')?.completedAt);
  return milestones.sort((a, b) => a.at - b.at);
}

/** After a click: when the signal reached the history, and when recordDecision was scheduled, started and done. */
export async function clickMilestones(client: Client, workflowId: string, signalName = 'approve'): Promise<Milestone[]> {
  const events = await eventsOf(client, workflowId);
  const signaled = events.find((e) => e.type === EVENT.WORKFLOW_EXECUTION_SIGNALED && e.signalName === signalName);
  if (!signaled) return [];
  const after = events.filter((e) => e.id > signaled.id);
  const record = activitySpans(after).find((s) => s.type === 'recordDecision');
  const milestones: Milestone[] = [{ label: `${signalName} signal in history`, at: signaled.at }];
  const wftCompleted = after.find((e) => e.type === EVENT.WORKFLOW_TASK_COMPLETED);
  if (wftCompleted) milestones.push({ label: 'workflow task completed', at: wftCompleted.at });
  if (record) {
    milestones.push({ label: 'recordDecision scheduled', at: record.scheduledAt });
    if (Number.isFinite(record.startedAt)) milestones.push({ label: 'recordDecision started', at: record.startedAt });
  }
  return milestones;
}

/** How many events a workflow's history holds, and how many of them are activity tasks and workflow tasks. */
export async function historyShape(client: Client, workflowId: string): Promise<{ events: number; activities: number; workflowTasks: number; signals: number }> {
  const events = await eventsOf(client, workflowId);
  return {
    events: events.length,
    activities: events.filter((e) => e.type === EVENT.ACTIVITY_TASK_SCHEDULED).length,
    workflowTasks: events.filter((e) => e.type === EVENT.WORKFLOW_TASK_COMPLETED).length,
    signals: events.filter((e) => e.type === EVENT.WORKFLOW_EXECUTION_SIGNALED).length,
  };
}

/**
 * A pipeline's history in two parts: the draft path (every event before the first `signalName`
 * signal) and the decision path (that signal and everything after it).
 */
export async function historySplit(client: Client, workflowId: string, signalName: string): Promise<{ draftPath: number; decisionPath: number; total: number }> {
  const events = await eventsOf(client, workflowId);
  const at = events.findIndex((e) => e.type === EVENT.WORKFLOW_EXECUTION_SIGNALED && e.signalName === signalName);
  const draftPath = at < 0 ? events.length : at;
  return { draftPath, decisionPath: events.length - draftPath, total: events.length };
}

/** What a history's events are for: the rows of BENCHMARKS.md's event breakdown. */
export type EventKind =
  | 'workflow tasks'
  | 'LLM calls'
  | 'Slack writes'
  | 'estimates, retrieval'
  | 'memo, search attributes'
  | 'timers'
  | 'patch markers'
  | 'signals'
  | 'child workflow'
  | 'start, completion';

const LLM_ACTIVITIES = /^(researchTopic|findExamples|getStatistics|writeArticle|reviseArticle|checkEvidence|peer[A-Z])/;
const OTHER_WORK = /^(estimateBudget|retrieveContext)$/;

function kindOf(event: Event, activityTypes: Map<number, string>): EventKind {
  switch (event.type) {
    case EVENT.WORKFLOW_TASK_SCHEDULED:
    case EVENT.WORKFLOW_TASK_STARTED:
    case EVENT.WORKFLOW_TASK_COMPLETED:
      return 'workflow tasks';
    case EVENT.ACTIVITY_TASK_SCHEDULED:
    case EVENT.ACTIVITY_TASK_STARTED:
    case EVENT.ACTIVITY_TASK_COMPLETED: {
      const type = event.activityType ?? activityTypes.get(event.scheduledId ?? -1) ?? '';
      return LLM_ACTIVITIES.test(type) ? 'LLM calls' : OTHER_WORK.test(type) ? 'estimates, retrieval' : 'Slack writes';
    }
    case EVENT.WORKFLOW_PROPERTIES_MODIFIED:
    case EVENT.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
      return 'memo, search attributes';
    case EVENT.TIMER_STARTED:
    case EVENT.TIMER_FIRED:
    case EVENT.TIMER_CANCELED:
      return 'timers';
    case EVENT.MARKER_RECORDED:
      return 'patch markers';
    case EVENT.WORKFLOW_EXECUTION_SIGNALED:
    case EVENT.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
    case EVENT.EXTERNAL_WORKFLOW_EXECUTION_SIGNALED:
      return 'signals';
    case EVENT.START_CHILD_WORKFLOW_EXECUTION_INITIATED:
    case EVENT.CHILD_WORKFLOW_EXECUTION_STARTED:
    case EVENT.CHILD_WORKFLOW_EXECUTION_COMPLETED:
      return 'child workflow';
    default:
      return 'start, completion';
  }
}

/**
 * Events per kind over a pipeline's parent and child histories. The patch markers' search
 * attribute upserts (TemporalChangeVersion, which patched() writes beside each marker) are
 * counted with the markers, not with our memo and search attributes.
 */
export async function historyByKind(client: Client, workflowIds: string[]): Promise<Partial<Record<EventKind, number>>> {
  const counts: Partial<Record<EventKind, number>> = {};
  for (const workflowId of workflowIds) {
    const events = await eventsOf(client, workflowId);
    const activityTypes = new Map(events.filter((e) => e.activityType).map((e) => [e.id, e.activityType!]));
    events.forEach((event, i) => {
      const afterMarker = event.type === EVENT.UPSERT_WORKFLOW_SEARCH_ATTRIBUTES && events[i - 1]?.type === EVENT.MARKER_RECORDED;
      const kind = afterMarker ? 'patch markers' : kindOf(event, activityTypes);
      counts[kind] = (counts[kind] ?? 0) + 1;
    });
  }
  return counts;
}
