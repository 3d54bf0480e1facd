/**
 * The stand-in model's answers for grounded steps: an article that cites the documents in its
 * prompt ([n] and a **Sources** list), and an evidence check that judges each statement by the
 * words it shares with the passage it cites. Deterministic, so tests can predict the card.
 */
import { wordsOf } from './openai-embeddings.js';

export interface PromptDocument {
  n: number;
  source: string;
  location: string;
  text: string;
}

/** The <team_document> blocks of a prompt (as src/shared/grounding.ts writes them). */
export function documentsIn(prompt: string): PromptDocument[] {
  const docs: PromptDocument[] = [];
  for (const m of prompt.matchAll(/<team_document n="(\d+)" source="([^"]*)" location="([^"]*)">\n([\s\S]*?)\n<\/team_document>/g)) {
    docs.push({ n: Number(m[1]), source: attributeValue(m[2]!), location: attributeValue(m[3]!), text: m[4]! });
  }
  return docs;
}

/** An attribute's value as a model reads it: grounding.ts escapes `&`, `"`, `'`, `<` and `>` as entities. */
function attributeValue(value: string): string {
  return value.replace(/&(quot|#39|lt|gt|amp);/g, (_, name: string) => ({ quot: '"', '#39': "'", lt: '<', gt: '>', amp: '&' })[name]!);
}

function firstSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const sentence = /^(.+?[.!?])(\s|$)/.exec(flat)?.[1] ?? flat;
  return sentence.length > 240 ? `${sentence.slice(0, 239)}.` : sentence;
}

/** An article built from the first sentence of up to three documents, each cited. */
export function groundedArticle(topic: string, prompt: string): string {
  const docs = documentsIn(prompt).slice(0, 3);
  const cited = docs.map((d) => `${firstSentence(d.text).replace(/[.!?]$/, '')} [${d.n}].`);
  return [
    `# ${topic}`,
    '',
    `${topic} is how the team works, according to its own documents.`,
    '',
    '## What the documents say',
    '',
    ...cited,
    '',
    '## Conclusion',
    '',
    'Teams that write their practices down can follow them under pressure.',
    '',
    '**Sources**',
    ...docs.map((d) => `[${d.n}] ${d.source}${d.location ? `, ${d.location}` : ''}`),
  ].join('\n');
}

/** The evidence check: cited statements sharing most of their words with the passage are supported. */
export function evidenceAnswer(prompt: string): string {
  const article = /<article_under_check>\n([\s\S]*?)\n<\/article_under_check>/.exec(prompt)?.[1] ?? '';
  const docs = documentsIn(prompt);
  const body = article.split(/^\s*\*\*Sources\*\*/m)[0] ?? article;
  const sentences = body
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#') && !line.trim().startsWith('_Not grounded'))
    .flatMap((line) => line.split(/(?<=[.!?])\s+(?=[A-Z])/))
    .map((s) => s.trim())
    .filter(Boolean);
  const statements = sentences.map((statement) => {
    const cite = /\[(\d{1,2})\]/.exec(statement);
    if (!cite) return { statement, verdict: 'general', passage: 0 };
    const n = Number(cite[1]);
    const doc = docs.find((d) => d.n === n);
    const words = wordsOf(statement.replace(/\[\d+\]/g, ''));
    const docWords = new Set(wordsOf(doc?.text ?? ''));
    const shared = words.filter((w) => docWords.has(w)).length;
    return { statement, verdict: doc && words.length && shared / words.length >= 0.6 ? 'supported' : 'unsupported', passage: n };
  });
  return JSON.stringify({ statements });
}
