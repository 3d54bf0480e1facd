/**
 * Search attributes that make pipelines findable in the Web UI and with
 * `temporal workflow list --query "Stage='AwaitingReview'"`. Registered on the embedded dev server;
 * on another server, register them once (README → Temporal Web UI).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TopicAttribute = defineSearchAttributeKey('Topic', SearchAttributeType.TEXT);
export const RequestedByAttribute = defineSearchAttributeKey('RequestedBy', SearchAttributeType.KEYWORD);
export const StageAttribute = defineSearchAttributeKey('Stage', SearchAttributeType.KEYWORD);
export const CostUsdAttribute = defineSearchAttributeKey('CostUsd', SearchAttributeType.DOUBLE);

export const SEARCH_ATTRIBUTES = [TopicAttribute, RequestedByAttribute, StageAttribute, CostUsdAttribute];

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS = ['Topic=Text', 'RequestedBy=Keyword', 'Stage=Keyword', 'CostUsd=Double'];

/** Stage values as operators type them in queries: `awaiting-review` → `AwaitingReview`. */
export function stageAttributeValue(stage: string): string {
  return stage.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
