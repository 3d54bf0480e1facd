/**
 * Text helpers for Slack: every string that came from a user or a model (topic, feedback, reason,
 * edited article, model output) goes through here, so it is shown, never acted on, and fits.
 *
 * Escape first, then cut: `&`, `<` and `>` are Slack's control characters and become `&amp;`,
 * `&lt;`, `&gt;` (https://api.slack.com/reference/surfaces/formatting#escaping); the escaped text is
 * then cut to the limit of the field it goes into, measured as Slack measures it after escaping,
 * never inside an escape sequence, an emoji, a combining sequence or a surrogate pair
 * (grapheme clusters, `Intl.Segmenter`). Lengths are counted in code points (characters), as the
 * stand-in Slack counts them.
 *
 * Mentions are neutralised too. In mrkdwn and plain text, escaping disarms `<!channel>`, `<!here>`,
 * `<!everyone>`, `<@U…>`, `<!subteam^…>`; a bare `@here` / `@channel` / `@everyone` gets a zero-width
 * space after its `@`. The `markdown` block renders standard Markdown, where Slack's escapes are not
 * the way to write a literal `<`, so there the bracketed forms get a zero-width space after their
 * `<` instead (`<\u200B@U…>` is shown, never parsed as a mention).
 */

const ZWSP = '\u200B';
const ELLIPSIS = '…';

/** Escapes the three characters Slack treats as control sequences in mrkdwn and plain text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Breaks a bare `@here`, `@channel`, `@everyone`, also when a letter follows (`@channele\u0301`):
 * cutting the text afterwards could end the word there.
 */
function defuseBareMentions(text: string): string {
  return text.replace(/@(?=here|channel|everyone)/gi, `@${ZWSP}`);
}

/** Breaks every mention form, bracketed (`<@U…>`, `<!here>`, `<!subteam^…>`, `<#C…>`) or bare, for text that is not escaped. */
export function defuseMentions(text: string): string {
  return defuseBareMentions(text.replace(/<(?=[@!#])/g, `<${ZWSP}`));
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The text's grapheme clusters. Node 20's segmenter iterator slows down quadratically along one long
 * string (a 100,000-character article took minutes and exhausted the heap), so the text is segmented
 * in windows; each window's last cluster may be cut by the window's edge, so the next window starts
 * again at that cluster's first character (a true boundary, so flag pairs keep their parity).
 */
function graphemesOf(text: string): string[] {
  const WINDOW = 512;
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    const end = Math.min(start + WINDOW, text.length);
    const segments = [...segmenter.segment(text.slice(start, end))];
    const complete = end === text.length || segments.length === 1 ? segments : segments.slice(0, -1);
    for (const { segment } of complete) out.push(segment);
    start += complete.reduce((length, { segment }) => length + segment.length, 0);
  }
  return out;
}

/** The units text may be cut between: grapheme clusters, with `&amp;` / `&lt;` / `&gt;` kept whole. */
function units(text: string): string[] {
  const out: string[] = [];
  const graphemes = graphemesOf(text);
  for (let i = 0; i < graphemes.length; i += 1) {
    if (graphemes[i] === '&') {
      const rest = graphemes.slice(i + 1, i + 5).join('');
      const entity = /^(amp;|lt;|gt;)/.exec(rest)?.[1];
      if (entity) {
        out.push(`&${entity}`);
        i += entity.length;
        continue;
      }
    }
    out.push(graphemes[i]!);
  }
  return out;
}

/** Length as Slack's limits count it: characters (code points), so an emoji is one. */
export function slackLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    // A low surrogate right after a high one finishes a character already counted; a lone one is a character of its own.
    const previous = i > 0 ? text.charCodeAt(i - 1) : 0;
    if (code >= 0xdc00 && code <= 0xdfff && previous >= 0xd800 && previous <= 0xdbff) continue;
    n += 1;
  }
  return n;
}

/**
 * Cuts (already escaped) text to at most `max` characters, ending with an ellipsis when it had
 * to cut, never splitting an escape sequence, an emoji or a surrogate pair.
 */
export function cut(text: string, max: number): string {
  if (slackLength(text) <= max) return text;
  const budget = max - 1; // the ellipsis
  let length = 0;
  let kept = '';
  for (const unit of units(text)) {
    const size = slackLength(unit);
    if (length + size > budget) break;
    kept += unit;
    length += size;
  }
  return `${kept}${ELLIPSIS}`;
}


/** A user's or a model's text for a mrkdwn or plain_text field: defused, escaped, then cut to `max`. */
export function userText(text: string, max: number): string {
  return cut(escapeMrkdwn(defuseBareMentions(text)), max);
}

/** A model's or a user's Markdown for a `markdown` block: mentions defused, cut to `max` (no escaping: standard Markdown). */
export function markdownText(text: string, max: number): string {
  return cut(defuseMentions(text), max);
}

export function userMention(userId: string): string {
  return `<@${userId}>`;
}

/** A Slack link; the label is escaped, the URL must be ours. */
export function link(url: string, label: string): string {
  return `<${url}|${escapeMrkdwn(label)}>`;
}

/**
 * A message's permalink, built as chat.getPermalink returns it
 * (https://api.slack.com/methods/chat.getPermalink: `https://<workspace>.slack.com/archives/<channel>/p<ts without the dot>`)
 * from the workspace URL auth.test gives once (https://api.slack.com/methods/auth.test), instead
 * of one API call per message.
 */
export function messageUrl(workspaceUrl: string, channel: string, ts: string): string {
  return `${workspaceUrl.replace(/\/+$/, '')}/archives/${encodeURIComponent(channel)}/p${ts.replace('.', '')}`;
}

/** Deep link to one workflow in the Temporal Web UI. */
export function workflowUrl(uiUrl: string, namespace: string, workflowId: string): string {
  const base = uiUrl.replace(/\/+$/, '');
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
