/**
 * `client.workflow.list()`, one row at a time, where a row whose memo cannot be decoded (its
 * payload key is no longer configured, or it was written without the key under
 * PAYLOAD_ENCRYPTION=required) comes back marked `unreadable` instead of ending the whole list.
 *
 * Why not `client.workflow.list()` itself: in @temporalio/client 1.24 it decodes each row's memo
 * through the client's payload codecs (helpers.ts `executionInfoFromRaw` → `decodeMapFromPayloads`)
 * inside its iterator, so one row the codec refuses throws out of the `for await` and the App Home
 * or `/research status` would fail for everyone who can see that run. This is the same loop
 * (workflow-client.ts `_list`) with that one step guarded: the failed row is decoded again without
 * its memo, so its ID, status, start time and search attributes (IDs and numbers) are still there.
 * (`_list` also resolves externally stored payloads; this app configures no external storage.)
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
// Not re-exported by the package index; the package has no exports map, so the module is reachable.
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { PayloadDecodeError } from './codec.js';

export interface ListedRun extends WorkflowExecutionInfo {
  /** Set when the memo could not be decoded: `keyId` names the missing key when that was why. */
  unreadable?: { keyId?: string; reason: string };
}

export interface ListRunsOptions {
  query: string;
  pageSize?: number;
}

export async function* listRuns(client: Client, { query, pageSize }: ListRunsOptions): AsyncGenerator<ListedRun> {
  const { namespace, loadedDataConverter } = client.options;
  let nextPageToken: Uint8Array = Buffer.alloc(0);
  for (;;) {
    const response = await client.workflowService.listWorkflowExecutions({ namespace, query, nextPageToken, ...(pageSize ? { pageSize } : {}) });
    for (const raw of response.executions) yield await decodeRow(raw, loadedDataConverter, namespace);
    nextPageToken = response.nextPageToken;
    if (!nextPageToken?.length) break;
  }
}

/**
 * One run as `handle.describe()` sees it, its memo decoded when it can be, else marked
 * `unreadable` (for a describe that just failed on the memo).
 */
export async function describeRun(client: Client, workflowId: string): Promise<ListedRun> {
  const { namespace, loadedDataConverter } = client.options;
  const raw = await client.workflowService.describeWorkflowExecution({ namespace, execution: { workflowId } });
  return decodeRow(raw.workflowExecutionInfo ?? {}, loadedDataConverter, namespace);
}

type RawExecution = Parameters<typeof executionInfoFromRaw>[0];

async function decodeRow(raw: RawExecution, converter: Client['options']['loadedDataConverter'], namespace: string): Promise<ListedRun> {
  try {
    return await executionInfoFromRaw(raw, converter, raw, namespace);
  } catch (error) {
    const keyId = error instanceof PayloadDecodeError ? error.missingKeyId : undefined;
    // The same message without its memo (protobuf defaults live on the prototype, so it is kept).
    const withoutMemo = Object.assign(Object.create(Object.getPrototypeOf(raw) as object) as RawExecution, raw, { memo: null });
    const info = await executionInfoFromRaw(withoutMemo, converter, raw, namespace);
    return { ...info, memo: undefined, unreadable: { ...(keyId ? { keyId } : {}), reason: error instanceof Error ? error.message : String(error) } };
  }
}

/** The words a person sees in place of a run's topic when its memo cannot be decoded. */
export const UNREADABLE_RUN_TOPIC = 'a run this bot cannot read: its encryption key is gone';
