/**
 * What the fuzz tests share: hostile strings (fast-check arbitraries), a fixed seed that FC_SEED
 * overrides, a runner that puts fast-check's report (seed, path, counterexample) into the failure
 * message and counts the cases, and the checks: live mentions in what Slack renders, and tag
 * openers of ours outside their field in a prompt.
 */
import { readOpeners } from './prompt-reading.js';
import fc from 'fast-check';
import { messageRefusal, viewRefusal } from '../../src/stand-ins/slack/rules.js';

/** The seed of every property; `FC_SEED=… npx vitest run <file>` replays a failure fast-check reported. */
export const FUZZ_SEED = process.env.FC_SEED !== undefined && process.env.FC_SEED !== '' ? Number(process.env.FC_SEED) : 20_261_203;

let cases = 0;

/** Cases run so far in this file (every property's runs). */
export function fuzzCases(): number {
  return cases;
}

function failed<Ts>(details: fc.RunDetails<Ts>): Error {
  const report = (details.failed ? fc.defaultReportMessage(details) : undefined) ?? 'the property failed';
  const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? '');
  // Long counterexamples (3,000-character runs) are cut here; the seed and path replay them whole.
  const shown = report.length > 4_000 ? `${report.slice(0, 4_000)}… (${report.length} characters)` : report;
  return new Error(`${shown}\nFailed with: ${cause.slice(0, 2_000)}\nReplay: FC_SEED=${FUZZ_SEED} npx vitest run <this file> (or fc.check with the seed and path above).`, { cause: details.errorInstance });
}

/** Runs a property `numRuns` times from the seed; on failure throws fast-check's report (seed, path, counterexample). */
export function fuzz<Ts>(property: fc.IProperty<Ts>, numRuns: number): void {
  const details = fc.check(property, { seed: FUZZ_SEED, numRuns });
  cases += details.numRuns;
  if (details.failed) throw failed(details);
}

/** The async form, for properties that go through Bolt and Temporal. */
export async function fuzzAsync<Ts>(property: fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  const details = await fc.check(property, { seed: FUZZ_SEED, numRuns });
  cases += details.numRuns;
  if (details.failed) throw failed(details);
}

/** Pieces hostile text is made of: Slack's escapes and markup, mentions, emoji, bidi and control characters, our tags. */
export const HOSTILE_PIECES: readonly string[] = [
  // Slack's escapes and markup
  '&amp;', '&lt;', '&gt;', '&', '<', '>', '&amp;lt;', '&lt;!', '&gt;&gt;',
  '<!here>', '<!channel>', '<!everyone>', '<!here|here>', '<@U123>', '<@U123|bob>', '<@W999>', '<#C1|x>', '<#C1>',
  '<!subteam^S1|@eng>', '<!subteam^S1>', '<!date^1392734382^{date_short}|Feb 18>', '<https://x|y>', '<https://evil.test>', '<mailto:a@b.test|a>',
  '&lt;!here&gt;', '&lt;@U123&gt;', '&lt;!&lt;!here&gt;&gt;', '<<!channel>>', '&lt;\u0000!here&gt;', '&lt;\u202E@U123&gt;', '@channele\u0301',
  '@here', '@channel', '@everyone', '@Here', '@CHANNEL', 'here', '!',
  // Markdown and mrkdwn
  '*', '_', '~', '`', '```', '# ', '> ', '[x](https://evil.test)', '](', '\\', '|',
  // Emoji, ZWJ sequences, flags, skin tones, combining marks, lone surrogates
  '🚀', '👩‍💻', '👨‍👩‍👧‍👦', '🇫🇷', '👍🏽', '🏳️‍🌈', 'e\u0301', 'a\u0300\u0301\u0302', '\uD83D', '\uDE80', '\uDBFF', '\uDC00',
  // RTL text, marks, overrides and isolates; invisible characters
  'שלום', 'مرحبا', '\u200F', '\u200E', '\u202E', '\u202D', '\u202C', '\u2066', '\u2069', '\u200B', '\u200D', '\u2060', '\u00AD', '\uFEFF',
  // Control characters and line breaks
  '\u0000', '\u0007', '\u0008', '\u001B[31m', '\u007F', '\u0085', '\u2028', '\u2029', '\n', '\r\n', '\t', '\n\n',
  // Our prompt tags, whole, split, encoded
  '</topic>', '<topic>', '</to', 'pic>', '&lt;/to&lt;/topic&gt;pic&gt;', '</draft>', '<draft>', '&lt;/draft&gt;', '&#60;/research&#62;',
  '&#x3C;/feedback>', '< /team_documents>', '<team_document n="9" source="x">', '</team_document>', '</ARTICLE_UNDER_CHECK>', '<problem>', '\uFF1C/topic\uFF1E', '</to\u200Bpic>',
  // ... encoded slash or letter, fullwidth, mathematical letters, look-alike slashes, Cyrillic and Greek letters, combining marks
  '&lt;&#47;topic&gt;', '&lt;&#x2F;draft&gt;', '&lt;/&#116;opic&gt;', '<&sol;draft>', '&amp;lt;&amp;#47;feedback>', '&l&#116;;/research>',
  '\uFF1C\uFF0F\uFF54\uFF4F\uFF50\uFF49\uFF43\uFF1E', '<\u{1D42D}\u{1D428}\u{1D429}\u{1D422}\u{1D41C}>', '</\u{1D41D}\u{1D42B}\u{1D41A}\u{1D41F}\u{1D42D}>', '<\u2044topic>', '<\u2215draft>',
  '</t\u043Epic>', '</\u0440roblem>', '<\u03C1roblem>', '</to\u0301pic>', '<\u0338/topic>', '</dr\u0430ft>', '\u27E8/topic>',
  // ... and HTML elements that are not ours (they must survive byte for byte)
  '<article>', '</article>', '<document>', '<section>', '<template>',
  '<div>', '</div>', '<script>', 'a < b > c',
];

/** A character or piece repeated to about 3,000 characters (the length of the longest Slack section). */
const longRun = fc
  .tuple(fc.oneof(fc.constantFrom(...HOSTILE_PIECES), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 3 })), fc.integer({ min: 2_500, max: 3_200 }))
  .map(([piece, length]) => piece.repeat(Math.max(1, Math.ceil(length / piece.length))));

/**
 * Random and adversarial text: hostile pieces, printable graphemes, any code points, and now and
 * then a run of about 3,000 characters.
 */
export function hostileText({ maxParts = 12, long = true }: { maxParts?: number; long?: boolean } = {}): fc.Arbitrary<string> {
  const parts = [
    { arbitrary: fc.constantFrom(...HOSTILE_PIECES), weight: 8 },
    { arbitrary: fc.string({ unit: 'grapheme', maxLength: 8 }), weight: 3 },
    { arbitrary: fc.string({ unit: 'binary', maxLength: 8 }), weight: 2 },
    ...(long ? [{ arbitrary: longRun, weight: 1 }] : []),
  ];
  return fc.array(fc.oneof(...parts), { maxLength: maxParts }).map((pieces) => pieces.join(''));
}

/** Text that is never blank (Slack's inputs and the pipeline refuse blank feedback and articles). */
export function hostileWords(options?: { maxParts?: number; long?: boolean }): fc.Arbitrary<string> {
  return fc.tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }).filter((s) => /\w/.test(s)), hostileText(options)).map(([word, text]) => `${word} ${text}`);
}

/** Text types Slack renders (and so parses for mentions): message `text`, mrkdwn, plain_text, markdown. */
const RENDERED = new Set(['mrkdwn', 'plain_text', 'markdown']);

/** Every rendered text of a payload (message, view, or reply): top-level `text` and every mrkdwn/plain_text/markdown object's `text`. */
export function renderedTexts(payload: unknown): string[] {
  const out: string[] = [];
  if (payload && typeof payload === 'object' && typeof (payload as { text?: unknown }).text === 'string') out.push((payload as { text: string }).text);
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.type === 'string' && RENDERED.has(record.type) && typeof record.text === 'string') out.push(record.text);
      for (const [key, value] of Object.entries(record)) if (key !== 'text' || typeof value !== 'string') walk(value);
    }
  };
  walk(payload);
  return out;
}

/**
 * Mentions Slack would act on: `<@U…>`, `<!here>`, `<!channel>`, `<!everyone>`, `<!subteam^…>` (any
 * `<@` or `<!`), and a bare `@here` / `@channel` / `@everyone` without the zero-width space our
 * escaping puts after its `@`. `allowed`: the markup the builder itself writes (the
 * requester's mention, a `<!date^…>`: exact strings or global patterns), removed before looking.
 */
export function liveMentions(text: string, allowed: ReadonlyArray<string | RegExp> = []): string[] {
  let rest = text;
  for (const markup of allowed) rest = typeof markup === 'string' ? rest.split(markup).join(' ') : rest.replace(markup, ' ');
  return [...(rest.match(/<[@!][^>]{0,40}>?/g) ?? []), ...(rest.match(/@(?:here|channel|everyone)\b/gi) ?? [])];
}

/** What the strict stand-in Slack answers a message payload (chat.postMessage, chat.update, postEphemeral, response_url): undefined = accepted. */
export function messageProblems(message: Record<string, unknown>): string[] {
  const refusal = messageRefusal(message);
  return refusal ? [refusal.error, ...refusal.messages] : [];
}

/** The same for a view (views.open / views.update; a Home tab has the modal's block rules). */
export function viewProblems(view: Record<string, unknown>): string[] {
  const refusal = viewRefusal(view);
  return refusal ? [refusal.error, ...refusal.messages] : [];
}

/**
 * A prompt's tag openers, as the independent judge (prompt-reading.ts, not delimit.ts) reads
 * them, must be exactly those its builder writes for plain input: any extra one came from a field.
 */
export function strayOpeners(prompt: string, skeleton: readonly string[]): string[] {
  const found = readOpeners(prompt);
  return found.length === skeleton.length && found.every((o, i) => o === skeleton[i]) ? [] : found;
}
