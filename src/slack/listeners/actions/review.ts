/**
 * The draft card's buttons: Approve, Request changes, Edit, Reject, Cancel pipeline.
 *
 * Approve and Cancel are forwarded as signals (forward.ts). Request changes, Edit and Reject open a
 * modal, and Slack's `trigger_id` lives 3 seconds, so the modal opens at once from what the click
 * carries (the pipeline ID in the button's value, the version in the actions block's ID, the
 * channel), before any Temporal call: under load a query can take longer than the trigger lives.
 * The checks that need Temporal (still undecided, a reviewer, revisions left, the draft's text)
 * run next and fill the modal with `views.update`, which needs no trigger; a refusal replaces the
 * loading view with the reason and is also said ephemerally. The workflow checks again on submit.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { View } from '@slack/types';
import type { PipelineFacts } from '../../../temporal/pipelines.js';
import { editModal, loadingModal, noticeModal, rejectModal, requestChangesModal, type ModalContext } from '../../blocks/modals.js';
import {
  APPROVE_ACTION_ID,
  CANCEL_ACTION_ID,
  EDIT_ACTION_ID,
  REJECT_ACTION_ID,
  REQUEST_CHANGES_ACTION_ID,
} from '../../blocks/pipeline.js';
import { REVIEW_FAILED_REPLY } from '../../blocks/replies.js';
import { isReviewer, mayCancel, reviewersList, spendersText } from '../authorization.js';
import type { ListenerDeps } from '../deps.js';
import { errorChain } from '../../../shared/error-chain.js';
import { acceptClick, pipelineCheck, registerForwardingButton, type ButtonArgs } from './forward.js';

export { alreadyDecidedReply } from './forward.js';



async function reviewerRule(deps: ListenerDeps, userId: string, verb: string, facts: PipelineFacts): Promise<string | undefined> {
  if (await isReviewer(deps, userId, facts)) return undefined;
  if (deps.reviewers.length && facts.visibility !== 'public' && (await isReviewer(deps, userId))) {
    const asked = await deps.membership.conversationsOf(userId).then(() => true, () => false);
    return asked
      ? `You are a reviewer, but not a member of this conversation, so you cannot ${verb} its draft; nothing changed.`
      : `I could not check with Slack that you are in this conversation, so nothing changed. Try again in a minute.`;
  }
  return `Only reviewers (${reviewersList(deps.reviewers)}) can ${verb} this draft, so nothing changed.`;
}

/** What a modal button builds once the modal is open: the modal, or the reason it cannot be given. */
type BuildModal = (context: ModalContext, facts: PipelineFacts) => Promise<View | string>;

/**
 * A button that opens a modal: opens a loading view at once (the trigger expires 3 s after the
 * click), then checks and fills it (or shows, and says ephemerally, why nothing can be done).
 */
function onModalButton(app: App, actionId: string, title: string, verb: string, deps: ListenerDeps, build: BuildModal): void {
  app.action<BlockAction<ButtonAction>>(actionId, async (args: ButtonArgs) => {
    const { body, client, logger } = args;
    const accepted = await acceptClick(actionId, args);
    if (!accepted) return;
    const { click, reply } = accepted;
    const { workflowId } = click;
    const context: ModalContext = { workflowId, version: click.version ?? 1, channel: click.channel ?? '' };
    let viewId: string | undefined;
    let hash: string | undefined;
    const show = async (view: View) => {
      if (viewId) await client.views.update({ view_id: viewId, ...(hash ? { hash } : {}), view });
    };
    try {
      const opened = await client.views.open({ trigger_id: body.trigger_id, view: loadingModal(title, context) });
      viewId = opened.view?.id;
      hash = opened.view?.hash;
    } catch (error) {
      logger.error(`${actionId} on ${workflowId} from ${click.userId}: the modal did not open: ${errorChain(error)}`);
      await reply('Slack did not open the form in time; please click the button again.');
      return;
    }
    try {
      let facts: PipelineFacts | undefined;
      const check = pipelineCheck(
        async (id) => (facts = await deps.pipelines.describe(id)),
        async (found) => reviewerRule(deps, click.userId, verb, found),
      );
      const refusal = await check(click);
      const result = refusal ?? (await build(context, facts!));
      if (typeof result === 'string') {
        logger.info(`Refusing ${actionId} on ${workflowId} from ${click.userId}: ${result}`);
        await show(noticeModal(title, result));
        await reply(result);
        return;
      }
      await show(result);
    } catch (error) {
      logger.error(`${actionId} on ${workflowId} from ${click.userId} failed: ${errorChain(error)}`);
      await show(noticeModal(title, REVIEW_FAILED_REPLY)).catch(() => undefined);
      await reply(REVIEW_FAILED_REPLY);
    }
  });
}

export function registerReviewActions(app: App, deps: ListenerDeps): void {
  const { pipelines } = deps;
  const describe = (workflowId: string) => pipelines.describe(workflowId);

  registerForwardingButton(
    app,
    APPROVE_ACTION_ID,
    ({ workflowId, userId, version }) => pipelines.review(workflowId, 'approved', userId, version),
    pipelineCheck(describe, async (facts, click) => reviewerRule(deps, click.userId, 'approve', facts)),
  );

  registerForwardingButton(
    app,
    CANCEL_ACTION_ID,
    ({ workflowId, userId, channel }) => pipelines.cancel(workflowId, userId, channel),
    pipelineCheck(describe, async (facts, click) => ((await mayCancel(deps, click.userId, facts.requestedBy, facts)) ? undefined : `Only ${spendersText(deps)} can cancel it.`)),
  );

  onModalButton(app, REJECT_ACTION_ID, 'Reject draft', 'reject', deps, async (context) => rejectModal(context));

  onModalButton(app, REQUEST_CHANGES_ACTION_ID, 'Request changes', 'request changes to', deps, async (context) => {
    const draft = await pipelines.draft(context.workflowId);
    if (draft.revisionsLeft <= 0) return 'This draft has used all its revisions: approve it, edit it yourself, or reject it.';
    return requestChangesModal({ ...context, version: draft.version }, draft.revisionsLeft);
  });

  onModalButton(app, EDIT_ACTION_ID, 'Edit draft', 'edit', deps, async (context) => {
    const draft = await pipelines.draft(context.workflowId);
    return editModal({ ...context, version: draft.version }, draft.article) ?? 'This draft is too long to edit in Slack; request changes instead.';
  });
}
