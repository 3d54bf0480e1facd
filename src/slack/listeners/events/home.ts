/**
 * The App Home tab: published when the viewer opens it (`app_home_opened`), re-published on a
 * page click and after a run is started from it. The **New research** button opens its modal from
 * the click at once (a trigger_id is valid for 3 s: https://api.slack.com/interactivity/handling#modal_responses),
 * and the modal's submission starts a pipeline exactly as `/research` does.
 */
import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import { DEFAULT_MAX_TOPIC_LENGTH, readResearchCommand } from '../../../shared/topic.js';
import { errorChain } from '../../../shared/error-chain.js';
import {
  HOME_NEW_RESEARCH_ACTION_ID,
  HOME_PAGE_ACTION_ID,
  homeView,
  NEW_RESEARCH_CALLBACK_ID,
  NEW_RESEARCH_CHANNEL_BLOCK,
  NEW_RESEARCH_TOPIC_BLOCK,
  newResearchModal,
} from '../../blocks/home.js';
import { TEMPORAL_UNAVAILABLE_REPLY } from '../../blocks/replies.js';
import type { ListenerDeps } from '../deps.js';
import { workspaceUrl } from '../../workspace-url.js';
import { admissionRefusedFieldError, SPEND_CHECK_UNAVAILABLE_FIELD_ERROR } from '../../blocks/spend.js';
import { SpendCheckUnavailableError } from '../../../temporal/admission.js';

/** The modal's submission is answered within Slack's 3 s, so its spend admission gets less time than a command's. */
export const MODAL_ADMISSION_DEADLINE_MS = 1_500;

export async function publishHome(client: Pick<WebClient, 'views' | 'auth'>, deps: ListenerDeps, userId: string, page = 0, teamId?: string): Promise<void> {
  if (!deps.home) return;
  const [data, url] = await Promise.all([deps.home(userId, page, teamId), workspaceUrl(client)]);
  await client.views.publish({ user_id: userId, view: homeView(data, { temporalUiUrl: deps.temporalUiUrl, namespace: deps.namespace, now: new Date(), workspaceUrl: url }) });
}

type StateValues = Record<string, Record<string, { value?: string | null; selected_conversation?: string | null }>>;

function inputOf(values: StateValues, block: string): { value?: string | null; selected_conversation?: string | null } {
  return Object.values(values[block] ?? {})[0] ?? {};
}

export function registerHome(app: App, deps: ListenerDeps): void {
  app.event('app_home_opened', async ({ event, client, logger, context }) => {
    if (event.tab !== 'home') return;
    try {
      await publishHome(client, deps, event.user, 0, context.teamId);
    } catch (error) {
      logger.error(`Could not publish the Home tab for ${event.user}: ${errorChain(error)}`);
    }
  });

  app.action(HOME_NEW_RESEARCH_ACTION_ID, async ({ ack, body, client, logger }) => {
    await ack();
    try {
      await client.views.open({ trigger_id: (body as { trigger_id: string }).trigger_id, view: newResearchModal(DEFAULT_MAX_TOPIC_LENGTH) });
    } catch (error) {
      logger.error(`Could not open the New research modal for ${body.user.id}: ${errorChain(error)}`);
    }
  });

  app.action(new RegExp(`^${HOME_PAGE_ACTION_ID}_`), async ({ ack, body, action, client, logger, context }) => {
    await ack();
    const page = Math.max(0, Math.min(Number((action as { value?: string }).value) || 0, 1_000));
    try {
      await publishHome(client, deps, body.user.id, page, context.teamId);
    } catch (error) {
      logger.error(`Could not page the Home tab for ${body.user.id}: ${errorChain(error)}`);
    }
  });

  app.view(NEW_RESEARCH_CALLBACK_ID, async ({ ack, view, body, client, logger, context }) => {
    const values = view.state.values as StateValues;
    const parsed = readResearchCommand(inputOf(values, NEW_RESEARCH_TOPIC_BLOCK).value ?? '', DEFAULT_MAX_TOPIC_LENGTH);
    const channel = inputOf(values, NEW_RESEARCH_CHANNEL_BLOCK).selected_conversation ?? undefined;
    const errors: Record<string, string> = {};
    if (parsed.kind !== 'start') {
      errors[NEW_RESEARCH_TOPIC_BLOCK] = parsed.kind === 'invalid' && parsed.reason === 'too-long' ? `Keep the topic under ${parsed.limit} characters.` : 'Type the topic to research.';
    }
    if (!channel) errors[NEW_RESEARCH_CHANNEL_BLOCK] = 'Pick the channel where the thread should go.';
    if (parsed.kind !== 'start' || !channel) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    const userId = body.user.id;
    // Slack's picker offers public channels and the person's own conversations, but a submission
    // is only a request: a private conversation they are not in is refused here.
    const visibility = await deps.channelVisibility(channel);
    if (visibility !== 'public' && !(await deps.membership.isMember(userId, channel))) {
      await ack({ response_action: 'errors', errors: { [NEW_RESEARCH_CHANNEL_BLOCK]: 'Pick a public channel or a conversation you are in.' } });
      return;
    }
    // The workspace (whose spend account admits the run): the view's, else the request's.
    const teamId = view.team_id || body.team?.id || context.teamId;
    try {
      // The view's ID identifies this submission: a resubmission of the same view reaches the same run.
      const { workflowId, refused } = await deps.pipelines.start({ topic: parsed.topic, requestedBy: userId, channel, ...(teamId ? { teamId } : {}) }, { idempotencyKey: `home\n${view.id}`, visibility, admissionDeadlineMs: MODAL_ADMISSION_DEADLINE_MS });
      if (refused) {
        // The modal stays open with the topic as typed, and says which limit and when it resets.
        logger.info(`Not started for ${userId} from the Home tab: spend limit ${refused.limit}`);
        await ack({ response_action: 'errors', errors: { [NEW_RESEARCH_TOPIC_BLOCK]: admissionRefusedFieldError(refused) } });
        return;
      }
      await ack();
      logger.info(`Started ${workflowId} for ${userId} in ${channel} from the Home tab`);
    } catch (error) {
      logger.error(`Could not start a pipeline from the Home tab for ${userId}: ${errorChain(error)}`);
      const reason = error instanceof SpendCheckUnavailableError ? SPEND_CHECK_UNAVAILABLE_FIELD_ERROR : TEMPORAL_UNAVAILABLE_REPLY.slice(0, 150);
      await ack({ response_action: 'errors', errors: { [NEW_RESEARCH_TOPIC_BLOCK]: reason } });
      return;
    }
    await publishHome(client, deps, userId, 0, teamId).catch((error: unknown) => logger.warn(`Could not refresh the Home tab for ${userId}: ${errorChain(error)}`));
  });
}
