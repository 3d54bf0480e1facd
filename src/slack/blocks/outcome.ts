/**
 * The replies that end a run: the outcome with the cost breakdown, or the failure with what to do.
 */
import type { Decision, UsageSummary } from '../../workflows/messages.js';
import { formatBudget } from '../../shared/pricing.js';
import { scrubDetails } from '../../shared/scrub.js';
import type { SlackMessage } from './pipeline.js';
import { link, userMention, userText } from './text.js';
import { breakdownLines, usageTotalLine } from './usage.js';

function outcomeLine(decision: Decision): string {
  switch (decision.outcome) {
    case 'approved':
      return `:white_check_mark: *Approved* by ${userMention(decision.by ?? 'unknown')}.`;
    case 'rejected':
      return `:no_entry_sign: *Rejected* by ${userMention(decision.by ?? 'unknown')}.`;
    case 'expired':
      return decision.deadline
        ? ':hourglass: *Expired*: the pipeline reached its time limit (PIPELINE_TIMEOUT) before a decision. Start a new `/research` to try again.'
        : ':hourglass: *The review expired* without a decision.';
    case 'stopped':
      return decision.by
        ? `:octagonal_sign: *Stopped* by ${userMention(decision.by)} at ${decision.ceiling ?? 'the budget limit'}.`
        : decision.ceiling
          ? `:octagonal_sign: *Stopped* at ${decision.ceiling}: nobody chose to wait for its reset.`
          : ':octagonal_sign: *Stopped*: the budget question went unanswered.';
    case 'cancelled':
      return `:no_entry_sign: *Cancelled*${decision.by ? ` by ${userMention(decision.by)}` : ''}. Nothing more will be called or posted.`;
    case 'undeliverable':
      return ':warning: *Undeliverable*: the thread could not be opened.';
  }
}

function decisionDetails(decision: Decision, versions: number, published?: { channel: string; ts: string; parts: number }): string[] {
  const lines: string[] = [];
  if (decision.edit) {
    lines.push(`Approved with the reviewer's edits: ${decision.edit.charactersChanged.toLocaleString('en-US')} characters changed.`);
  }
  if (decision.reason) lines.push(`Reason: “${userText(decision.reason, 1_000)}”`);
  if (versions > 1) lines.push(`${versions} versions were drafted.`);
  if (published) lines.push(`Published in <#${published.channel}>${published.parts > 1 ? ` in ${published.parts} parts` : ''}.`);
  return lines;
}

export interface OutcomeInput {
  topic: string;
  decision: Decision;
  usage: UsageSummary;
  budgetUsd: number;
  workflowUrl: string;
  versions?: number;
  published?: { channel: string; ts: string; parts: number };
}

export function outcomeMessage(input: OutcomeInput): SlackMessage {
  const lines = [
    outcomeLine(input.decision),
    ...decisionDetails(input.decision, input.versions ?? 1, input.published),
    `${usageTotalLine(input.usage)} (budget ${formatBudget(input.budgetUsd)})`,
  ];
  const breakdown = breakdownLines(input.usage);
  return {
    text: `${input.decision.outcome}: ${userText(input.topic, 200)}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } },
      ...(breakdown.length ? [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: breakdown.join('\n') } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: link(input.workflowUrl, 'Workflow in Temporal UI') }] },
    ],
  };
}

export interface FailureInput {
  step: string;
  explanation: string;
  detail: string;
  usage: UsageSummary;
  budgetUsd: number;
  workflowUrl: string;
}

export function failureMessage(input: FailureInput): SlackMessage {
  return {
    text: `${input.step} failed: ${input.explanation}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `:x: *${userText(input.step, 100)} failed.* ${userText(input.explanation, 2_000)}` } },
      {
        type: 'context',
        elements: [
          { type: 'mrkdwn', text: `${usageTotalLine(input.usage)} spent before the failure (budget ${formatBudget(input.budgetUsd)}).` },
          // Provider, Slack and Temporal errors name hosts, addresses and keys: the thread gets the gist, the UI and logs the rest.
          { type: 'mrkdwn', text: `${userText(scrubDetails(input.detail), 400)} · ${link(input.workflowUrl, 'details in Temporal UI')} and the bot's logs` },
        ],
      },
    ],
  };
}
