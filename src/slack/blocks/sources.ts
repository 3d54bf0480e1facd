/**
 * The draft card's sources and evidence section: which team documents the draft drew on (file,
 * where in it, a short snippet), "N of M statements supported by your documents", and the
 * statements that are not. Pure; every document or model text is escaped and cut here.
 */
import type { KnownBlock } from '@slack/types';
import { citedNumbers, citationOf, evidenceSummary, notGroundedNote } from '../../shared/grounding.js';
import { legacyBindHint } from '../../kb/channels.js';
import type { KbStats } from '../../kb/stats.js';
import type { GroundingCard } from '../../workflows/messages.js';
import { cut, escapeMrkdwn, userText } from './text.js';

/** Kept well under a section's 3,000 characters: the article already fills most of the card. */
const MAX_SOURCES_CHARS = 1_500;
const MAX_UNSUPPORTED_CHARS = 1_200;
const SNIPPET_CHARS = 120;
const MAX_UNSUPPORTED_LISTED = 5;

function snippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Escapes and cuts each line, then the whole list, so no entity is split and the limit holds. */
function lines(items: string[], max: number): string {
  let out = '';
  for (const item of items) {
    const next = out ? `${out}\n${item}` : item;
    if (next.length > max) return out ? `${out}\n…` : cut(item, max);
    out = next;
  }
  return out;
}

export function groundingBlocks(card: GroundingCard | undefined, article: string): KnownBlock[] {
  if (!card) return [];
  const { grounding, evidence, evidenceNote } = card;
  if (!grounding.passages.length) {
    const text = grounding.docsOnly ? `${notGroundedNote(grounding)} (--docs-only)` : notGroundedNote(grounding);
    return [{ type: 'context', elements: [{ type: 'mrkdwn', text: userText(text, 300) }] }];
  }
  const cited = new Set(citedNumbers(article));
  const shown = grounding.passages.filter((p) => cited.has(p.n));
  const listed = shown.length ? shown : grounding.passages;
  // Which collections answered: the reviewer sees whose documents the draft drew on.
  const from = grounding.collections?.length ? ` from ${grounding.collections.map((c) => `_${userText(c, 80)}_`).join(', ')}` : '';
  const heading = evidence
    ? `:books: *Sources*${from} · ${evidenceSummary(evidence)}`
    : `:books: *Sources*${from}${evidenceNote ? ` · ${userText(evidenceNote, 300)}` : ''}`;
  const sourceLines = listed.map((p) => `*[${p.n}]* ${userText(citationOf(p), 200)}: _${userText(snippet(p.text), SNIPPET_CHARS)}_`);
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: heading } },
    { type: 'section', text: { type: 'mrkdwn', text: lines(sourceLines, MAX_SOURCES_CHARS) } },
  ];
  if (!shown.length) {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'The draft cites none of these passages: it was written without them.' }] });
  }
  if (evidence) {
    const unsupported = evidence.statements.filter((s) => s.verdict === 'unsupported');
    const general = evidence.statements.filter((s) => s.verdict === 'general').length;
    if (unsupported.length) {
      const items = unsupported.slice(0, MAX_UNSUPPORTED_LISTED).map((s) => `• ${userText(s.statement, 200)}${s.passage ? ` (cites [${s.passage}])` : ''}`);
      if (unsupported.length > MAX_UNSUPPORTED_LISTED) items.push(`…and ${unsupported.length - MAX_UNSUPPORTED_LISTED} more`);
      blocks.push({ type: 'section', text: { type: 'mrkdwn', text: lines([`:warning: *Not supported by your documents (${unsupported.length}):*`, ...items], MAX_UNSUPPORTED_CHARS) } });
    }
    if (general) {
      blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${general} statement${general === 1 ? '' : 's'} from the model's general knowledge (not in your documents).` }] });
    }
  }
  return blocks;
}

/**
 * `/research kb`: what this conversation's articles may draw on (the collections bound to it),
 * or how to share documents with it. Other conversations' collections are never named, and the
 * index's location (a server path or a storage address) stays on the server.
 */
export function kbReply(stats: KbStats | undefined, channelId: string): string {
  const legacy = stats?.legacyUnbound ? `\n${escapeMrkdwn(legacyBindHint(channelId))}` : '';
  const add = `\`npm run kb -- add <folder> --channel ${escapeMrkdwn(channelId)}\``;
  if (!stats || !stats.exists) {
    return `No documents are indexed yet, so articles are not grounded in team documents. On the server: ${add} (Markdown, text, HTML, PDF, DOCX; this conversation's ID is ${escapeMrkdwn(channelId)}).`;
  }
  if (!stats.files) {
    return `No documents are shared with this conversation, so articles here are not grounded in team documents. On the server: ${add}, or \`npm run kb -- bind <collection> --channel ${escapeMrkdwn(channelId)}\` for documents already indexed.${legacy}`;
  }
  return [
    '*Knowledge base for this conversation*',
    `• Collections: ${stats.collections.filter((c) => c.files).map((c) => escapeMrkdwn(c.name)).join(', ')}`,
    `• Files: ${stats.files} · chunks: ${stats.chunks} · tokens embedded: ${stats.tokens.toLocaleString('en-US')}`,
    `• Last ingest: ${stats.lastIngest ?? 'unknown'} · embedding model: ${escapeMrkdwn(stats.models.join(', '))}`,
  ].join('\n') + legacy;
}
