/**
 * The one rule for every delimited field of every prompt: whatever a field holds (a topic, research
 * results, a passage and its source, a draft, feedback, an article, a parse error), it can neither
 * open nor close a tag of ours. Pure (no I/O, no clock), so workflow code may import it too.
 *
 * The prompt builders write their tags from `PROMPT_TAGS`, and `defuse` neutralises openers of
 * exactly those names (plus `ALSO_DEFUSED`), so a new tag cannot be written without being defused.
 *
 * It escapes, never deletes: an opener's less-than sign, however it is spelled (`<`, `＜`, `﹤`,
 * `&lt;`, `&#60;`, `&#x3C;`, any case, zero-padded, with or without the `;`, `&amp;lt;`…), becomes
 * one `‹`. Nothing else changes and no character disappears without one in its place, so no
 * removal can join the text around it into a new tag (the flaw of stripping `</topic>` in one pass:
 * `</to</topic>pic>` became `</topic>`), and `defuse(defuse(x)) === defuse(x)`. Text that is not
 * an opener of ours, such as `<div>` in a code sample, is left byte for byte.
 *
 * Apply it last, after any decoding (`sanitizeTopic` decodes Slack's entities before).
 */

/** Every tag a prompt writes, by name. The builders use these; `defuse` is derived from them. */
export const PROMPT_TAGS = {
  topic: 'topic',
  research: 'research',
  draft: 'draft',
  feedback: 'feedback',
  documents: 'documents',
  document: 'document',
  article: 'article',
  problem: 'problem',
} as const;

export type PromptTag = (typeof PROMPT_TAGS)[keyof typeof PROMPT_TAGS];

/**
 * Not written by any prompt, but defused all the same (grounding.ts's own rule did): `<system>`
 * reads to a model like a change of role, `<passage>` like one of our documents.
 */
const ALSO_DEFUSED = ['system', 'passage'] as const;

/** Every tag name `defuse` neutralises: ours, and `ALSO_DEFUSED`. */
export const DEFUSED_TAG_NAMES: readonly string[] = [...Object.values(PROMPT_TAGS), ...ALSO_DEFUSED];

/** What an opener's less-than sign becomes: a single guillemet, which no model or parser reads as a tag. */
export const DEFUSED_LESS_THAN = '‹';

/**
 * A less-than sign in every spelling a model might read as one: the character, its fullwidth and
 * small forms, and HTML's entities for it (named or numeric, decimal or hex, any case, zero
 * padding, `;` optional as HTML allows for `&lt`, and encoded again as `&amp;lt;`).
 */
const LESS_THAN = String.raw`(?:<|\uFF1C|\uFE64|&(?:amp;)*(?:lt|#0*60|#x0*3c);?)`;
/** Between the less-than sign and the name: whitespace, invisible format characters (ZWSP, ZWJ, BOM, soft hyphen…) and slashes. */
const BETWEEN = String.raw`(?:[\s\p{Cf}]|\/|\uFF0F)*`;
/** Invisible format characters a model reads through, so `to\u200Bpic` counts as `topic`. */
const INVISIBLE = String.raw`\p{Cf}*`;
/** After the name: anything that cannot continue a tag name (`<topics>` is not ours, `<topic x="1">` is). */
const NAME_ENDS = String.raw`(?![\p{L}\p{N}_.:-])`;

function namePattern(name: string): string {
  return [...name].join(INVISIBLE);
}

const NAMES = [...DEFUSED_TAG_NAMES].sort((a, b) => b.length - a.length).map(namePattern).join('|');
/** Group 1: the less-than sign; group 2: the rest of the opener up to the end of the name. */
const SOURCE = `(${LESS_THAN})(${BETWEEN}(?:${NAMES})${NAME_ENDS})`;
const OPENER = new RegExp(SOURCE, 'giu');
const ANY_OPENER = new RegExp(SOURCE, 'iu');

/** Neutralises every opener (`<tag`, `</tag`, `< /tag`, `&lt;/tag`…) of our tag names; see the module comment. */
export function defuse(text: string): string {
  return text.replace(OPENER, (_, _lessThan: string, rest: string) => `${DEFUSED_LESS_THAN}${rest}`);
}

/** True when `text` holds an opener of one of our tags (what `defuse` leaves none of). */
export function hasTagOpener(text: string): boolean {
  return ANY_OPENER.test(text);
}

/** Every opener of our tags in `text`, in order: `<topic`, `</topic`… as written (for tests and checks). */
export function tagOpeners(text: string): string[] {
  return [...text.matchAll(OPENER)].map((m) => m[0]);
}

/** `<tag>` */
export function openTag(tag: PromptTag): string {
  return `<${tag}>`;
}

/** `</tag>` */
export function closeTag(tag: PromptTag): string {
  return `</${tag}>`;
}

/** `<tag>` + the defused text + `</tag>`, joined by `separator` (nothing, or a line break). */
export function delimit(tag: PromptTag, text: string, separator = ''): string {
  return [openTag(tag), defuse(text), closeTag(tag)].join(separator);
}
