/**
 * Submissions of the modals opened from the draft card. Each acks first (with field errors when
 * the input is unusable, which keeps the modal open), then forwards the decision as a signal.
 */
import type { AllMiddlewareArgs, App, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import {
  EDIT_VIEW_ID,
  editedArticle,
  FEEDBACK_BLOCK_ID,
  inputValue,
  parseModalContext,
  REASON_BLOCK_ID,
  REJECT_VIEW_ID,
  REQUEST_CHANGES_VIEW_ID,
  type ModalContext,
} from '../../blocks/modals.js';
import { PIPELINE_FINISHED_REPLY, REVIEW_FAILED_REPLY } from '../../blocks/replies.js';
import { isReviewer, reviewersList } from '../authorization.js';
import type { ListenerDeps } from '../deps.js';
import type { ReviewDelivery } from '../../../temporal/pipelines.js';
import { errorChain } from '../../../shared/error-chain.js';

type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

type Values = ViewArgs['view']['state']['values'];

function onSubmit(
  app: App,
  callbackId: string,
  deps: ListenerDeps,
  validate: (values: Values) => Record<string, string> | undefined,
  forward: (context: ModalContext, userId: string, values: Values) => Promise<ReviewDelivery>,
): void {
  app.view<ViewSubmitAction>(callbackId, async ({ ack, view, body, client, logger }: ViewArgs) => {
    const errors = validate(view.state.values);
    if (errors) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    const context = parseModalContext(view.private_metadata);
    const userId = body.user.id;
    const tell = (text: string) =>
      context?.channel ? client.chat.postEphemeral({ channel: context.channel, user: userId, text }) : Promise.resolve();
    if (!context) {
      logger.warn(`Ignoring ${callbackId} from ${userId}: private_metadata is not ours`);
      return;
    }
    try {
      if (!(await isReviewer(deps, userId, { channel: context.channel }))) {
        await tell(`Only reviewers (${reviewersList(deps.reviewers)}) can decide on this draft, so nothing changed.`);
        return;
      }
      const delivery = await forward(context, userId, view.state.values);
      if (!delivery.delivered) await tell(PIPELINE_FINISHED_REPLY);
    } catch (error) {
      logger.error(`${callbackId} for ${context.workflowId} from ${userId} failed: ${errorChain(error)}`);
      await tell(REVIEW_FAILED_REPLY);
    }
  });
}

export function registerReviewModals(app: App, deps: ListenerDeps): void {
  const { pipelines } = deps;

  onSubmit(
    app,
    REQUEST_CHANGES_VIEW_ID,
    deps,
    (values) => (inputValue(values, FEEDBACK_BLOCK_ID).trim().length < 3 ? { [FEEDBACK_BLOCK_ID]: 'Please say what should change.' } : undefined),
    (context, userId, values) => pipelines.requestChanges(context.workflowId, userId, context.version, inputValue(values, FEEDBACK_BLOCK_ID).trim()),
  );

  onSubmit(
    app,
    EDIT_VIEW_ID,
    deps,
    (values) => (editedArticle(values).trim() ? undefined : { article_0: 'The article cannot be empty.' }),
    (context, userId, values) => pipelines.approveEdited(context.workflowId, userId, context.version, editedArticle(values)),
  );

  onSubmit(
    app,
    REJECT_VIEW_ID,
    deps,
    () => undefined,
    (context, userId, values) => pipelines.reject(context.workflowId, userId, context.version, inputValue(values, REASON_BLOCK_ID).trim() || undefined),
  );
}
