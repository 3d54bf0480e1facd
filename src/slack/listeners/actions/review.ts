/**
 * Approve / Reject on a draft card: ack, check the button, forward the click as a Temporal signal.
 * The workflow, not this listener, decides whether the click counts (first decision wins).
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { isPipelineWorkflowId } from '../../../shared/ids.js';
import type { ReviewOutcome } from '../../../temporal/pipelines.js';
import { APPROVE_ACTION_ID, REJECT_ACTION_ID } from '../../blocks/pipeline.js';
import { PIPELINE_FINISHED_REPLY, REVIEW_FAILED_REPLY, UNKNOWN_BUTTON_REPLY } from '../../blocks/replies.js';
import type { ListenerDeps } from '../deps.js';

const OUTCOME_BY_ACTION: Record<string, ReviewOutcome> = {
  [APPROVE_ACTION_ID]: 'approved',
  [REJECT_ACTION_ID]: 'rejected',
};

export function registerReviewActions(app: App, { pipelines }: ListenerDeps): void {
  for (const [actionId, outcome] of Object.entries(OUTCOME_BY_ACTION)) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, body, action, respond, logger }) => {
      await ack();
      const reply = (text: string) => respond({ response_type: 'ephemeral', replace_original: false, text });
      const workflowId = action.value ?? '';
      if (!isPipelineWorkflowId(workflowId)) {
        logger.warn(`Ignoring ${actionId} from ${body.user.id}: button value is not a pipeline ID`);
        await reply(UNKNOWN_BUTTON_REPLY);
        return;
      }
      try {
        const delivery = await pipelines.review(workflowId, outcome, body.user.id);
        if (!delivery.delivered) await reply(PIPELINE_FINISHED_REPLY);
      } catch (error) {
        logger.error(`Could not signal ${workflowId} (${outcome} by ${body.user.id}): ${String(error)}`);
        await reply(REVIEW_FAILED_REPLY);
      }
    });
  }
}
