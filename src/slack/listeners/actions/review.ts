/**
 * The draft card's buttons: Approve, Request changes, Edit, Reject, Cancel pipeline.
 * Each acks first, then checks what it can answer at once (a button of ours, this channel's
 * pipeline, still undecided, a reviewer), then forwards a signal or opens a modal. The workflow
 * checks again and has the final word.
 */
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isPipelineWorkflowId } from '../../../shared/ids.js';
import type { PipelineFacts } from '../../../temporal/pipelines.js';
import { editModal, rejectModal, requestChangesModal } from '../../blocks/modals.js';
import {
  APPROVE_ACTION_ID,
  CANCEL_ACTION_ID,
  EDIT_ACTION_ID,
  REJECT_ACTION_ID,
  REQUEST_CHANGES_ACTION_ID,
  versionFromBlockId,
} from '../../blocks/pipeline.js';
import { PIPELINE_FINISHED_REPLY, REVIEW_FAILED_REPLY, UNKNOWN_BUTTON_REPLY } from '../../blocks/replies.js';
import { isReviewer, mayCancel, reviewersList } from '../authorization.js';
import { afterPendingAcks } from '../after-ack.js';
import type { ListenerDeps } from '../deps.js';
import { errorChain } from '../../../shared/error-chain.js';

type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** What the clicker is told when the pipeline has already been decided or has ended. */
export function alreadyDecidedReply(facts: PipelineFacts): string {
  const by = facts.decidedBy ? ` by <@${facts.decidedBy}>` : '';
  switch (facts.outcome) {
    case 'approved':
      return `This draft was already approved${by}, so your click changed nothing.`;
    case 'rejected':
      return `This draft was already rejected${by}, so your click changed nothing.`;
    case 'cancelled':
      return `This pipeline was cancelled${by}, so your click changed nothing.`;
    case 'expired':
      return 'The review of this draft expired, so your click changed nothing.';
    case 'stopped':
      return `This pipeline was stopped at its budget limit${by}, so your click changed nothing.`;
    default:
      return PIPELINE_FINISHED_REPLY;
  }
}

interface Clicked {
  workflowId: string;
  version: number | undefined;
  facts: PipelineFacts;
  reply: (text: string) => Promise<unknown>;
}

/** The checks every card button shares; returns undefined after answering the clicker when they fail. */
async function checkClick({ body, action, respond, logger }: ButtonArgs, deps: ListenerDeps): Promise<Clicked | undefined> {
  const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
  const workflowId = action.value ?? '';
  if (!isPipelineWorkflowId(workflowId)) {
    logger.warn(`Ignoring ${action.action_id} from ${body.user.id}: button value is not a pipeline ID`);
    await reply(UNKNOWN_BUTTON_REPLY);
    return undefined;
  }
  const facts = await deps.pipelines.describe(workflowId);
  if (!facts) {
    await reply(UNKNOWN_BUTTON_REPLY);
    return undefined;
  }
  if (facts.channel && body.channel?.id && facts.channel !== body.channel.id) {
    logger.warn(`Ignoring ${action.action_id} on ${workflowId} from channel ${body.channel.id}: it belongs to ${facts.channel}`);
    await reply('That button belongs to a pipeline in another channel, so nothing changed.');
    return undefined;
  }
  if (!facts.running || facts.outcome) {
    await reply(alreadyDecidedReply(facts));
    return undefined;
  }
  return { workflowId, version: versionFromBlockId(action.block_id), facts, reply };
}

async function requireReviewer(args: ButtonArgs, deps: ListenerDeps, clicked: Clicked, verb: string): Promise<boolean> {
  if (await isReviewer(deps, args.body.user.id)) return true;
  args.logger.info(`Refusing ${args.action.action_id} on ${clicked.workflowId} from non-reviewer ${args.body.user.id}`);
  await clicked.reply(`Only reviewers (${reviewersList(deps.reviewers)}) can ${verb} this draft, so nothing changed.`);
  return false;
}

function onButton(app: App, actionId: string, deps: ListenerDeps, handle: (args: ButtonArgs, clicked: Clicked) => Promise<void>): void {
  app.action<BlockAction<ButtonAction>>(actionId, async (args) => {
    await args.ack();
    await afterPendingAcks();
    let clicked: Clicked | undefined;
    try {
      clicked = await checkClick(args, deps);
      if (clicked) await handle(args, clicked);
    } catch (error) {
      args.logger.error(`${actionId} on ${args.action.value} from ${args.body.user.id} failed: ${errorChain(error)}`);
      await args.respond({ response_type: 'ephemeral', replace_original: false, text: REVIEW_FAILED_REPLY });
    }
  });
}

async function answerDelivery(clicked: Clicked, delivered: boolean): Promise<void> {
  if (!delivered) await clicked.reply(PIPELINE_FINISHED_REPLY);
}

export function registerReviewActions(app: App, deps: ListenerDeps): void {
  const { pipelines } = deps;

  onButton(app, APPROVE_ACTION_ID, deps, async (args, clicked) => {
    if (!(await requireReviewer(args, deps, clicked, 'approve'))) return;
    const delivery = await pipelines.review(clicked.workflowId, 'approved', args.body.user.id, clicked.version);
    await answerDelivery(clicked, delivery.delivered);
  });

  onButton(app, REJECT_ACTION_ID, deps, async (args, clicked) => {
    if (!(await requireReviewer(args, deps, clicked, 'reject'))) return;
    await args.client.views.open({
      trigger_id: args.body.trigger_id,
      view: rejectModal({ workflowId: clicked.workflowId, version: clicked.version ?? 1, channel: clicked.facts.channel ?? '' }),
    });
  });

  onButton(app, REQUEST_CHANGES_ACTION_ID, deps, async (args, clicked) => {
    if (!(await requireReviewer(args, deps, clicked, 'request changes to'))) return;
    const draft = await pipelines.draft(clicked.workflowId);
    if (draft.revisionsLeft <= 0) {
      await clicked.reply('This draft has used all its revisions: approve it, edit it yourself, or reject it.');
      return;
    }
    await args.client.views.open({
      trigger_id: args.body.trigger_id,
      view: requestChangesModal({ workflowId: clicked.workflowId, version: draft.version, channel: clicked.facts.channel ?? '' }, draft.revisionsLeft),
    });
  });

  onButton(app, EDIT_ACTION_ID, deps, async (args, clicked) => {
    if (!(await requireReviewer(args, deps, clicked, 'edit'))) return;
    const draft = await pipelines.draft(clicked.workflowId);
    const view = editModal({ workflowId: clicked.workflowId, version: draft.version, channel: clicked.facts.channel ?? '' }, draft.article);
    if (!view) {
      await clicked.reply('This draft is too long to edit in Slack; request changes instead.');
      return;
    }
    await args.client.views.open({ trigger_id: args.body.trigger_id, view });
  });

  onButton(app, CANCEL_ACTION_ID, deps, async (args, clicked) => {
    if (!(await mayCancel(deps, args.body.user.id, clicked.facts.requestedBy))) {
      await clicked.reply('Only the person who started this pipeline or a reviewer can cancel it.');
      return;
    }
    const delivery = await pipelines.cancel(clicked.workflowId, args.body.user.id);
    await answerDelivery(clicked, delivery.delivered);
  });
}
