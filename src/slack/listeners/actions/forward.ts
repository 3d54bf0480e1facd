/**
 * The shared shape of every button that carries a workflow ID: ack, check the value (and, when a
 * `channelOf` lookup is given, that the pipeline belongs to the channel of the click), forward the
 * click as a signal, and answer the clicker (ephemerally) when nothing could change.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { isPipelineWorkflowId } from '../../../shared/ids.js';
import type { ReviewDelivery } from '../../../temporal/pipelines.js';
import { afterPendingAcks } from '../after-ack.js';
import { OTHER_CHANNEL_REPLY, PIPELINE_FINISHED_REPLY, REVIEW_FAILED_REPLY, UNKNOWN_BUTTON_REPLY } from '../../blocks/replies.js';
import { errorChain } from '../../../shared/error-chain.js';

export type Forward = (workflowId: string, userId: string) => Promise<ReviewDelivery>;

export interface ForwardOptions {
  /** The channel a pipeline was started in (its memo); undefined when unknown. */
  channelOf?: (workflowId: string) => Promise<string | undefined>;
}

export function registerForwardingButton(app: App, actionId: string, forward: Forward, { channelOf }: ForwardOptions = {}): void {
  app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, logger }) => {
    await ack();
    await afterPendingAcks();
    const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
    const workflowId = action.value ?? '';
    if (!isPipelineWorkflowId(workflowId)) {
      logger.warn(`Ignoring ${actionId} from ${body.user.id}: button value is not a pipeline ID`);
      await reply(UNKNOWN_BUTTON_REPLY);
      return;
    }
    try {
      const clickedIn = body.channel?.id;
      const channel = channelOf && clickedIn ? await channelOf(workflowId) : undefined;
      if (channel && channel !== clickedIn) {
        logger.warn(`Ignoring ${actionId} on ${workflowId} from ${body.user.id} in ${clickedIn}: the pipeline belongs to ${channel}`);
        await reply(OTHER_CHANNEL_REPLY);
        return;
      }
      const delivery = await forward(workflowId, body.user.id);
      if (!delivery.delivered) await reply(PIPELINE_FINISHED_REPLY);
    } catch (error) {
      logger.error(`Could not forward ${actionId} on ${workflowId} from ${body.user.id}: ${errorChain(error)}`);
      await reply(REVIEW_FAILED_REPLY);
    }
  });
}
