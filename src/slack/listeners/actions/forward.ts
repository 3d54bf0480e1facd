/**
 * The one way a button click becomes a signal: ack, check the value is a pipeline ID, run the
 * button's checks (its pipeline's channel, still running, who may click it: each returns the reason
 * for a refusal), forward the click, and answer the clicker ephemerally whenever nothing changed.
 * Used by the draft card's Approve and Cancel and by the budget question's Allow and Stop.
 */
import type { AllMiddlewareArgs, App, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isPipelineWorkflowId } from '../../../shared/ids.js';
import type { PipelineFacts, ReviewDelivery } from '../../../temporal/pipelines.js';
import { afterPendingAcks } from '../after-ack.js';
import { OTHER_CHANNEL_REPLY, PIPELINE_FINISHED_REPLY, REVIEW_FAILED_REPLY, UNKNOWN_BUTTON_REPLY, unreadableRunReply } from '../../blocks/replies.js';
import { versionFromBlockId } from '../../blocks/pipeline.js';
import { errorChain } from '../../../shared/error-chain.js';

export interface Click {
  workflowId: string;
  userId: string;
  /** The channel the click came from. */
  channel: string | undefined;
  /** The card version, from the actions block's ID (undefined on buttons without one). */
  version: number | undefined;
}

export type Forward = (click: Click) => Promise<ReviewDelivery>;

/** A check before forwarding: the reason to give the clicker when the click is refused, else undefined. */
export type ClickCheck = (click: Click) => Promise<string | undefined>;

export type ButtonArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export interface AcceptedClick {
  click: Click;
  /** Answers the clicker ephemerally. */
  reply: (text: string) => Promise<unknown>;
}

/**
 * The start of every pipeline button's listener: ack, let waiting acks go first, read the click.
 * Undefined (the clicker already told) when the button's value is not a pipeline ID.
 */
export async function acceptClick(actionId: string, { ack, body, action, respond, logger }: ButtonArgs): Promise<AcceptedClick | undefined> {
  await ack();
  await afterPendingAcks();
  const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
  const workflowId = action.value ?? '';
  if (!isPipelineWorkflowId(workflowId)) {
    logger.warn(`Ignoring ${actionId} from ${body.user.id}: button value is not a pipeline ID`);
    await reply(UNKNOWN_BUTTON_REPLY);
    return undefined;
  }
  return { click: { workflowId, userId: body.user.id, channel: body.channel?.id, version: versionFromBlockId(action.block_id) }, reply };
}

export function registerForwardingButton(app: App, actionId: string, forward: Forward, check: ClickCheck = async () => undefined): void {
  app.action<BlockAction<ButtonAction>>(actionId, async (args) => {
    const accepted = await acceptClick(actionId, args);
    if (!accepted) return;
    const { click, reply } = accepted;
    const { workflowId } = click;
    const { logger } = args;
    try {
      const refusal = await check(click);
      if (refusal) {
        logger.info(`Refusing ${actionId} on ${workflowId} from ${click.userId}: ${refusal}`);
        await reply(refusal);
        return;
      }
      const delivery = await forward(click);
      if (!delivery.delivered) await reply(PIPELINE_FINISHED_REPLY);
    } catch (error) {
      logger.error(`Could not forward ${actionId} on ${workflowId} from ${click.userId}: ${errorChain(error)}`);
      await reply(REVIEW_FAILED_REPLY);
    }
  });
}

/** Refuses a click from another channel than the pipeline's (when the pipeline's channel is known). */
export function sameChannel(channelOf: (workflowId: string) => Promise<string | undefined>): ClickCheck {
  return async ({ workflowId, channel }) => {
    const home = channel ? await channelOf(workflowId) : undefined;
    return home && home !== channel ? OTHER_CHANNEL_REPLY : undefined;
  };
}

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

/**
 * The checks every pipeline button shares, from the pipeline's description: a pipeline we know, in
 * the channel of the click, still running; then the button's own rule on who may click it.
 */
export function pipelineCheck(
  describe: (workflowId: string) => Promise<PipelineFacts | undefined>,
  rule: (facts: PipelineFacts, click: Click) => Promise<string | undefined> = async () => undefined,
): ClickCheck {
  return async (click) => {
    const facts = await describe(click.workflowId);
    if (!facts) return UNKNOWN_BUTTON_REPLY;
    if (facts.channel && click.channel && facts.channel !== click.channel) return OTHER_CHANNEL_REPLY;
    if (!facts.running || facts.outcome) return alreadyDecidedReply(facts);
    if (facts.unreadable) return unreadableRunReply(facts.unreadable.keyId);
    return rule(facts, click);
  };
}
