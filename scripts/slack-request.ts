/**
 * `npm run slack -- research <topic>` / `approve [workflow-id]` / `reject [workflow-id]`:
 * sends a request to the running bot exactly as Slack would (form body, signed with the signing
 * secret). Without a workflow ID, clicks on the newest draft found in the stand-in Slack.
 */
import { buttonClickBody, signedHeaders, slashCommandBody } from '../test/harness/slack-signing.js';
import type { StoredMessage } from '../src/stand-ins/slack/index.js';

const botUrl = process.env.BOT_URL ?? `http://localhost:${process.env.PORT ?? 3000}/slack/events`;
const secret = process.env.SLACK_SIGNING_SECRET ?? 'local-signing-secret';
const standInSlack = process.env.STANDIN_SLACK_URL ?? `http://127.0.0.1:${process.env.STANDIN_SLACK_PORT ?? 3990}`;
const [verb, ...rest] = process.argv.slice(2);

async function send(body: string): Promise<void> {
  const response = await fetch(botUrl, { method: 'POST', headers: signedHeaders(secret, body), body });
  console.log(`${response.status} ${await response.text()}`);
}

async function newestDraft(workflowId: string | undefined): Promise<StoredMessage> {
  const messages = (await (await fetch(`${standInSlack}/_messages`)).json()) as StoredMessage[];
  const drafts = messages.filter(
    (m) => m.metadata?.event_payload.kind === 'draft' && (!workflowId || m.metadata.event_payload.workflow_id === workflowId),
  );
  const draft = drafts.at(-1);
  if (!draft) throw new Error('No draft card found in the stand-in Slack yet.');
  return draft;
}

if (verb === 'research') {
  await send(slashCommandBody({ text: rest.join(' '), responseUrl: `${standInSlack}/respond/cli-${Date.now()}` }));
} else if (verb === 'approve' || verb === 'reject') {
  const draft = await newestDraft(rest[0]);
  const workflowId = String(draft.metadata?.event_payload.workflow_id);
  console.log(`Clicking ${verb} on ${workflowId}`);
  await send(
    buttonClickBody({
      actionId: verb === 'approve' ? 'approve_draft' : 'reject_draft',
      value: workflowId,
      channelId: draft.channel,
      messageTs: draft.ts,
      responseUrl: `${standInSlack}/respond/cli-${Date.now()}`,
    }),
  );
} else {
  console.error('Usage: npm run slack -- research <topic> | approve [workflow-id] | reject [workflow-id]');
  process.exit(2);
}
