/**
 * Workflow IDs that read well in the Temporal Web UI:
 * `research-<topic-slug>-<yyyymmdd>-<suffix>`, and the child's ID derived from its parent's.
 * Workflow IDs are not encrypted (no payload codec covers them), so the slug is the one piece of a
 * topic the server stores readably; WORKFLOW_ID_STYLE=opaque puts a token there instead
 * (`opaquePipelineWorkflowId`). Pure: no clock or randomness here, callers pass them in.
 */
const MAX_SLUG_LENGTH = 40;

/** Lower-case ASCII slug: accents folded, anything else collapsed to single dashes. */
const TRANSLITERATIONS: Record<string, string> = { ß: 'ss', ø: 'o', æ: 'ae', œ: 'oe', ł: 'l', đ: 'd', þ: 'th', ð: 'd' };

export function slugify(text: string, maxLength = MAX_SLUG_LENGTH): string {
  const slug = text
    .toLowerCase()
    .replace(/[ßøæœłđþð]/g, (char) => TRANSLITERATIONS[char] ?? char)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const cut = slug.slice(0, maxLength).replace(/-+$/g, '');
  return cut || 'topic';
}

/** `yyyymmdd` in UTC, so IDs do not depend on the server's time zone. */
export function yyyymmdd(date: Date): string {
  const y = date.getUTCFullYear();
  const m = String(date.getUTCMonth() + 1).padStart(2, '0');
  const d = String(date.getUTCDate()).padStart(2, '0');
  return `${y}${m}${d}`;
}

export function pipelineWorkflowId(topic: string, date: Date, suffix: string): string {
  return `research-${slugify(topic)}-${yyyymmdd(date)}-${suffix}`;
}

/** Readable IDs carry the topic's slug; opaque ones a token that has nothing to do with the topic. */
export type WorkflowIdStyle = 'readable' | 'opaque';

const OPAQUE_TOKEN = /^[0-9a-f]{12}$/;

/**
 * `research-<token>-<yyyymmdd>-<suffix>` for WORKFLOW_ID_STYLE=opaque, where the token is 12 hex
 * characters that the caller draws at random or derives from the request (never from the topic
 * alone: topics are short, so a plain hash of one is confirmed by hashing guesses until one
 * matches). Still matches `isPipelineWorkflowId`, and child and republish IDs derive from it.
 */
export function opaquePipelineWorkflowId(token: string, date: Date, suffix: string): string {
  if (!OPAQUE_TOKEN.test(token)) throw new Error(`An opaque workflow ID token is 12 lower-case hex characters, not "${token}".`);
  return `research-${token}-${yyyymmdd(date)}-${suffix}`;
}

export function researchChildWorkflowId(parentWorkflowId: string): string {
  return `${parentWorkflowId}-parallel-research`;
}

const WORKFLOW_ID_PATTERN = /^research-[a-z0-9-]+-\d{8}-[a-z0-9]+$/;

/** True for IDs this bot makes; button values are checked with it before any Temporal call. */
export function isPipelineWorkflowId(value: string): boolean {
  return value.length <= 128 && WORKFLOW_ID_PATTERN.test(value);
}

/** A Slack ID as it may appear inside a visibility query's quotes (IDs are upper-case letters and digits). */
export const safeSlackId = (id: string): string => id.replace(/[^A-Z0-9]/gi, '');
