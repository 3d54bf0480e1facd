/**
 * Search attributes that make pipelines findable in the Web UI and with
 * `temporal workflow list --query "Stage='AwaitingReview'"`. Registered on the embedded dev server;
 * on another server, register them once (README → Temporal Web UI).
 *
 * The server indexes them in plain text and no payload codec covers them (src/temporal/codec.ts):
 * they hold IDs, stages and numbers, never what people wrote. The topic lives in the encrypted memo
 * (there used to be a `Topic` Text attribute; a server that still has it registered keeps the
 * values of runs started before it went, until their retention ends).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

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
/**
 * The ID of the payload key the run's input was encrypted under (an ID, never key material), set
 * at start by the bot when encryption is on: `npm run keys -- check` and the startup warning find
 * the runs that still need a key which is no longer configured (src/temporal/keys.ts).
 */
export const PayloadKeyAttribute = defineSearchAttributeKey('PayloadKey', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [RequestedByAttribute, StageAttribute, CostUsdAttribute, ChannelAttribute, ChannelVisibilityAttribute, PayloadKeyAttribute];

/** `Name=Type` pairs for `temporal server start-dev --search-attribute`. */
export const SEARCH_ATTRIBUTE_FLAGS = ['RequestedBy=Keyword', 'Stage=Keyword', 'CostUsd=Double', 'Channel=Keyword', 'ChannelVisibility=Keyword', 'PayloadKey=Keyword'];

/** Who may see a conversation's runs: everyone in the workspace, or its members only. */
export type ChannelVisibility = 'public' | 'private' | 'im' | 'mpim';

/** Stage values as operators type them in queries: `awaiting-review` → `AwaitingReview`. */
export function stageAttributeValue(stage: string): string {
  return stage.replace(/(^|-)([a-z])/g, (_match, _dash: string, letter: string) => letter.toUpperCase());
}
