/**
 * The draft card's links section: every link in the text the reviewer approves, as label → the
 * domain it really goes to, marked when no source of the run holds it, when its label names another
 * domain, when its host is international (punycode shown) or its scheme is not a web or mail one.
 * What is published is the text on the card, so these are exactly the links an approval publishes.
 *
 * Nothing here becomes a link with a deceptive label: the label is escaped plain text, the domain
 * bold, the URL in code (Slack links neither bold domains' look-alikes nor code). Within Slack's
 * limits: one section of at most 3,000 characters (https://docs.slack.dev/reference/block-kit/blocks/section-block)
 * and one context; a long list ends "…and N more".
 */
import type { KnownBlock } from '@slack/types';
import { extractLinks, normalizeUrl, type FoundLink, type LinkCheck } from '../../shared/links.js';
import { cut, userText } from './text.js';

/** Kept well under a section's 3,000 characters, like the sources list. */
export const MAX_LINKS_CHARS = 2_000;
/** Links listed at most; the rest are counted. */
export const MAX_LINKS_LISTED = 15;
const LABEL_CHARS = 60;
const URL_CHARS = 90;

interface LinkRow {
  link: FoundLink;
  sourced: boolean | undefined;
  /** Which source holds it, when known ("research (key facts)", "[2] corpus/guide.md"). */
  from: string | undefined;
  warnings: string[];
}

/**
 * What the card knows about the sources: known URL → the source it was found in ('' when not said),
 * and, for drafts checked link by link, the targets found in no source (a target in neither was not
 * checked: a reviewer's edit added it). Without `unsourced`, `known` is every URL of the sources.
 */
interface KnownSources {
  known: ReadonlyMap<string, string>;
  unsourced: ReadonlySet<string> | undefined;
}

const SAFE_SCHEMES = new Set(['http', 'https', 'mailto']);

function rowOf(link: FoundLink, check: KnownSources | undefined): LinkRow {
  const normal = normalizeUrl(link.url);
  const inKnown = check !== undefined && normal !== undefined && check.known.has(normal);
  const sourced = !check ? undefined : inKnown ? true : check.unsourced && !(normal !== undefined && check.unsourced.has(normal)) ? undefined : false;
  const from = inKnown && normal !== undefined ? check?.known.get(normal) || undefined : undefined;
  const warnings: string[] = [];
  if (link.form === 'unreadable') warnings.push(':warning: a link this check could not read (another renderer may make it clickable): check the text around it');
  if (link.labelDomain) warnings.push(`:rotating_light: the label names *${userText(link.labelDomain, 80)}*, the link goes elsewhere`);
  if (link.unsafe && link.form !== 'unreadable') warnings.push(link.scheme && !SAFE_SCHEMES.has(link.scheme) ? `:warning: \`${userText(link.scheme, 20)}:\` link` : ':warning: not a valid address');
  if (link.international) warnings.push(':warning: international domain (shown as punycode): check it is the site you expect');
  if (sourced === false) warnings.push(':warning: not in any source');
  if (check && sourced === undefined) warnings.push(':warning: not checked against the sources (added after the check)');
  return { link, sourced, from, warnings };
}

/** Inline code that its own text cannot close: a backtick becomes its URL escape. */
function code(text: string, max: number): string {
  return `\`${userText(text.replace(/`/g, '%60').replace(/\s+/g, ' '), max)}\``;
}

function line({ link, from, warnings }: LinkRow): string {
  const label = link.form === 'bare' || link.form === 'autolink' || link.form === 'unreadable' ? '' : `“${userText(link.label.replace(/\s+/g, ' ').trim() || '(no text)', LABEL_CHARS)}” → `;
  const kind = link.form === 'image' ? 'image ' : link.form === 'definition' ? 'reference ' : link.form === 'unreadable' ? 'unreadable `](` ' : '';
  const domain = link.domain ? `*${userText(link.domain, 100)}*` : '_no domain_';
  const url = code(link.url, URL_CHARS);
  // Where a sourced link came from: a planted link in a poisoned document shows whose document it is.
  const origin = from ? ` · _from ${userText(from, 80)}_` : '';
  return `• ${kind}${label}${domain} ${url}${origin}${warnings.length ? `\n    ${warnings.join(' · ')}` : ''}`;
}

/** Each link once (the same label and target may appear several times), those with warnings first. */
function rowsOf(article: string, known: KnownSources | undefined): LinkRow[] {
  const seen = new Set<string>();
  const rows: LinkRow[] = [];
  for (const link of extractLinks(article)) {
    const key = `${link.form === 'definition' ? 'def' : ''}\u0000${link.label}\u0000${link.url}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push(rowOf(link, known));
  }
  return [...rows.filter((r) => r.warnings.length), ...rows.filter((r) => !r.warnings.length)];
}

function removedNote(check: LinkCheck | undefined): string | undefined {
  const removed = check?.removed;
  if (!removed?.count) return undefined;
  const domains = removed.domains.length ? `: ${removed.domains.map((d) => userText(d, 80)).join(', ')}` : '';
  return cut(
    `:scissors: ${removed.count} link${removed.count === 1 ? '' : 's'} the writer added ${removed.count === 1 ? 'appears' : 'appear'} in no source and ${removed.count === 1 ? 'was' : 'were'} removed before review (LINK_POLICY=strip-unsourced); ${removed.count === 1 ? 'its' : 'their'} text is kept${domains}`,
    1_000,
  );
}

/**
 * The links section for a card showing `article` (`awaitingReview`: the card with the buttons, which
 * says that approving publishes exactly these). `check.known` absent: the run's sources were not
 * collected (a draft written before link checks), so nothing is marked as sourced or not and the
 * card says so. No links and nothing removed: no blocks.
 */
export function linkBlocks(article: string, check: LinkCheck | undefined, { awaitingReview = false } = {}): KnownBlock[] {
  const known: KnownSources | undefined = check?.known
    ? { known: new Map(check.known.map((url, i) => [url, check.from?.[i] ?? ''])), unsourced: check.unsourced ? new Set(check.unsourced) : undefined }
    : undefined;
  const rows = rowsOf(article, known);
  const note = removedNote(check);
  const blocks: KnownBlock[] = [];
  if (rows.length) {
    const unsourced = rows.filter((r) => r.sourced === false).length;
    const unchecked = known ? rows.filter((r) => r.sourced === undefined).length : 0;
    const phishy = rows.filter((r) => r.link.labelDomain).length;
    const summary = [
      known ? (unsourced || unchecked ? [unsourced ? `${unsourced} not in any source` : '', unchecked ? `${unchecked} not checked` : ''].filter(Boolean).join(' · ') : 'all in the sources') : 'not checked against the sources (written before link checks)',
      ...(phishy ? [`${phishy} with a label naming another site`] : []),
    ].join(' · ');
    const heading = `:link: *Links in this draft (${rows.length})* · ${summary}${awaitingReview ? '. Approving publishes exactly these.' : ''}`;
    let text = heading;
    let listed = 0;
    for (const row of rows.slice(0, MAX_LINKS_LISTED)) {
      const next = `${text}\n${line(row)}`;
      if ([...next].length > MAX_LINKS_CHARS) break;
      text = next;
      listed += 1;
    }
    if (listed < rows.length) text += `\n…and ${rows.length - listed} more`;
    blocks.push({ type: 'section', block_id: 'links', text: { type: 'mrkdwn', text } });
  }
  if (note) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: note }] });
  return blocks;
}
