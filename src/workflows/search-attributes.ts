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
/**
 * The conversation a run belongs to (Slack channel ID) and whether everyone in the workspace may
 * see it (`public`) or only its members (`private`, `im`, `mpim`): set at start by the bot, so
 * every list a person sees filters by membership in the visibility query itself. A run without
 * them (started before they existed) matches neither filter, so it is listed to no one.
 */
export const ChannelAttribute = defineSearchAttributeKey('Channel', SearchAttributeType.KEYWORD);
export const ChannelVisibilityAttribute = defineSearchAttributeKey('ChannelVisibility', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [TopicAttribute, RequestedByAttribute, StageAttribute, CostUsdAttribute, ChannelAttribute, ChannelVisibilityAttribute];

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS = ['Topic=Text', 'RequestedBy=Keyword', 'Stage=Keyword', 'CostUsd=Double', 'Channel=Keyword', 'ChannelVisibility=Keyword'];

/** Who may see a conversation's runs: everyone in the workspace, or its members only. */
export type ChannelVisibility = 'public' | 'private' | 'im' | 'mpim';

/** Stage values as operators type them in queries: `awaiting-review` → `AwaitingReview`. */
export function stageAttributeValue(stage: string): string {
  return stage.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
