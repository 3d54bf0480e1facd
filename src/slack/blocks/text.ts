/**
 * Text helpers for Slack's mrkdwn. Anything that came from a user or a model goes through
 * `escapeMrkdwn`, so `<!channel>` or `<@U…>` typed into a topic is shown, never acted on.
 */

/** Escapes the three characters Slack treats as control sequences in mrkdwn. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function userMention(userId: string): string {
  return `<@${userId}>`;
}

/** A Slack link; the label is escaped, the URL must be ours. */
export function link(url: string, label: string): string {
  return `<${url}|${escapeMrkdwn(label)}>`;
}

/**
 * Cuts text to `max` characters (code points, so an emoji is never split), ending with an ellipsis
 * when it had to cut, and never in the middle of an escaped entity such as `&amp;`.
 */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const cut = chars.slice(0, Math.max(0, max - 1)).join('').replace(/&[a-z]{0,4}$/, '');
  return `${cut}…`;
}

/** Deep link to one workflow in the Temporal Web UI. */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  const base = uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
