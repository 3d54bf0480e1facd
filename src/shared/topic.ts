/**
 * Parses the text of `/research …` into what the user asked for. Pure, so it is tested on its own.
 *
 * `readResearchCommand` is what the bot uses: it first turns Slack markup in the text into plain
 * words (`sanitizeTopic`), so a topic can never ping anyone or smuggle control characters into
 * what the bot posts or sends to the model. `parseResearchCommand` is the plain check underneath
 * (empty, help, length) and keeps the text as given.
 */
export type ResearchCommand =
  | { kind: 'start'; topic: string }
  | { kind: 'help' }
  | { kind: 'invalid'; reason: 'empty' | 'too-long'; limit: number };

export const DEFAULT_MAX_TOPIC_LENGTH = 200;

export function parseResearchCommand(text: string | undefined, maxLength = DEFAULT_MAX_TOPIC_LENGTH): ResearchCommand {
  const topic = collapseWhitespace(text ?? '');
  if (!topic) return { kind: 'invalid', reason: 'empty', limit: maxLength };
  if (topic.toLowerCase() === 'help') return { kind: 'help' };
  return checkLength(topic, maxLength);
}

/**
 * The text of `/research …` as the bot reads it: sanitized (see `sanitizeTopic`), then help or a
 * topic. Text in quotes is always a topic, so `/research "help"` researches the word "help".
 * (Subcommands such as `status` are recognised before this, in the command listener.)
 */
export function readResearchCommand(text: string | undefined, maxLength = DEFAULT_MAX_TOPIC_LENGTH): ResearchCommand {
  const clean = collapseWhitespace(sanitizeTopic(text ?? ''));
  const quoted = /^(?:"(.*)"|“(.*)”|„(.*)“|'(.*)')$/s.exec(clean);
  if (!quoted) return parseResearchCommand(clean, maxLength);
  const topic = collapseWhitespace(quoted.slice(1).find((group) => group !== undefined) ?? '');
  return topic ? checkLength(topic, maxLength) : { kind: 'invalid', reason: 'empty', limit: maxLength };
}

function collapseWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function checkLength(topic: string, maxLength: number): ResearchCommand {
  if ([...topic].length > maxLength) return { kind: 'invalid', reason: 'too-long', limit: maxLength };
  return { kind: 'start', topic };
}

/** Slack's markup in message text: `<@U…>`, `<#C…|name>`, `<!here>`, `<https://…|label>`. */
const SLACK_MARKUP = /<([^<>]*)>/g;
/** C0 and C1 control characters other than whitespace, and the BOM. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\uFEFF]/g;
/** Bidirectional embeddings, overrides and isolates, which can make text display reordered. */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&' };

function unwrapMarkup(inner: string): string {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  // <@U123> → @U123, <@U123|bob> → @bob: a name, never a mention.
  if (target.startsWith('@')) return `@${(label ?? target.slice(1)).replace(/^@+/, '')}`;
  // <#C123|general> → #general
  if (target.startsWith('#')) return `#${(label ?? target.slice(1)).replace(/^#+/, '')}`;
  // <!channel>, <!here>, <!everyone> → the bare word; <!subteam^S1|@team> → team; <!date^…|fallback> → fallback.
  if (target.startsWith('!')) return (label ?? target.slice(1).split('^')[0] ?? '').replace(/^[@!]+/, '');
  // Links: <https://x|label> → "label (https://x)"; <https://x> → https://x; <mailto:a@b|a@b> → a@b.
  const url = target.replace(/^mailto:/i, '');
  return label && label !== url ? `${label} (${url})` : (label ?? url);
}

/**
 * Unwraps mention-like markup until none is left: one pass can rebuild it from nested pieces
 * (`<!<!here>>` → `<!here>`). Each pass that changes anything removes a `<` and a `>`, so it ends.
 */
function unwrapTypedMarkup(text: string): string {
  let previous: string;
  let current = text;
  do {
    previous = current;
    current = current.replace(SLACK_MARKUP, (whole, inner: string) => (/^[@#!]/.test(inner) ? unwrapMarkup(inner) : whole));
  } while (current !== previous);
  return current;
}

/**
 * A topic as plain text: Slack markup unwrapped (mentions, channel links and broadcasts become bare
 * words, links become "label (url)"), Slack's `&lt; &gt; &amp;` decoded (a literal `a < b` stays,
 * but mention-like markup typed as text is unwrapped as well), control characters and bidi
 * overrides removed, Unicode in NFC. Emoji, RTL scripts and combining marks are kept.
 * Everything the bot posts escapes the result again (`escapeMrkdwn`), and prompts delimit it.
 */
export function sanitizeTopic(text: string): string {
  const decoded = text
    // Removed first: removing them later could join `<` and `!here>` into markup.
    .replace(CONTROL_CHARACTERS, '')
    .replace(BIDI_CONTROLS, '')
    .replace(SLACK_MARKUP, (_, inner: string) => unwrapMarkup(inner))
    // Slack sends a literal < or > as an entity, so any left over is broken markup: drop it.
    .replace(/[<>]/g, '')
    .replace(/&(lt|gt|amp);/g, (_, name: string) => ENTITIES[name]!);
  return (
    // Typed as text, `&lt;!here&gt;` decodes to markup: unwrap that too (other < and > stay).
    unwrapTypedMarkup(decoded)
      .normalize('NFC')
      // Plain "@here" does not notify, but make sure no broadcast word reads like one either. After
      // NFC, which can end a word (`@channele\u0301` → `@channelé`); removing an @ keeps the text NFC.
      .replace(/@(here|channel|everyone)\b/gi, '$1')
  );
}
