/**
 * The one rule for every delimited field of every prompt: whatever a field holds (a topic, research
 * results, a passage and its source, a draft, feedback, an article, a parse error), it can neither
 * open nor close a tag of ours. Pure (no I/O, no clock), so workflow code may import it too.
 *
 * The prompt builders write their tags from `PROMPT_TAGS`, and `defuse` neutralises openers of
 * exactly those names (plus `ALSO_DEFUSED`), so a new tag cannot be written without being defused.
 *
 * It matches against a normalised SHADOW of the text, the text as a model may read it: HTML
 * entities decoded (numeric and the named ones that matter, repeatedly, `&amp;` chains followed),
 * NFKD per character (fullwidth `＜／ｔｏｐｉｃ＞`, mathematical `𝐭𝐨𝐩𝐢𝐜`), case-folded, combining
 * marks and invisible format characters (ZWSP, soft hyphen, BOM…) dropped, Cyrillic and Greek
 * look-alikes of Latin letters (`</tоpic>` with a Cyrillic `о`) and look-alike slashes (`⁄`, `∕`)
 * and less-than signs (`⟨`, `〈`) mapped. Each shadow character remembers the span of the original
 * it came from, so an opener found there is neutralised in the original: the span of its less-than
 * sign, however it is spelled (`<`, `&lt;`, `&amp;lt;`, `&#x3C;`, `＜`…), becomes one `‹`.
 *
 * It escapes, never deletes: nothing else changes and no character disappears without one in its
 * place, so no removal can join the text around it into a new tag (the flaw of stripping
 * `</topic>` in one pass: `</to</topic>pic>` became `</topic>`), and `defuse(defuse(x)) ===
 * defuse(x)`. Text that is not an opener of ours, such as `<div>` or `<article>` in a code sample,
 * is left byte for byte: no tag name of ours is an HTML element's (`article`, `document` were renamed). Linear in
 * the text's length (entity decoding is bounded to a few rounds of bounded look-ahead).
 *
 * Apply it last, after any decoding (`sanitizeTopic` decodes Slack's entities before).
 */

/** Every tag a prompt writes, by name. The builders use these; `defuse` is derived from them. */
export const PROMPT_TAGS = {
  topic: 'topic',
  research: 'research',
  draft: 'draft',
  feedback: 'feedback',
  documents: 'team_documents',
  document: 'team_document',
  article: 'article_under_check',
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
 * Less-than signs as a model may read them after normalisation (NFKD already turns `＜` and `﹤`
 * into `<`): angle brackets and arrowheads that look like one. Never `‹` (what `defuse` writes),
 * so the rule stays idempotent.
 */
const LESS_THAN_LOOKALIKES = new Set(['<', '\u2329', '\u3008', '\u27E8', '\u276C', '\u02C2', '\u1438']);
/** Slashes that are not `/` even after NFKD: fraction slash, division slash, big solidus, box diagonal. */
const SLASH_LOOKALIKES = new Set(['\u2044', '\u2215', '\u29F8', '\u2571', '\u3033']);
/**
 * Cyrillic and Greek letters (lower case, after case-folding) that look like the Latin letters of
 * tag names: `</tоpic>` with a Cyrillic `о` reads as `</topic>` to a model.
 */
const CONFUSABLES: Record<string, string> = {
  а: 'a', в: 'b', ь: 'b', с: 'c', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', м: 'm', п: 'n', о: 'o', р: 'p',
  ԛ: 'q', г: 'r', ѕ: 's', т: 't', и: 'u', ц: 'u', ѵ: 'v', ԝ: 'w', х: 'x', у: 'y',
  α: 'a', β: 'b', ϲ: 'c', δ: 'd', ε: 'e', η: 'n', ι: 'i', ϳ: 'j', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', ς: 's', τ: 't', υ: 'u', χ: 'x', γ: 'y', ω: 'w',
};
/** HTML's named entities for the characters that matter here (`&`, `<`, `/` and its look-alike), as HTML reads them. */
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', sol: '/', frasl: '\u2044', lang: '\u27E8', langle: '\u27E8', lsaquo: '\u2039' };
/** Entities HTML decodes even without the `;` (a legacy rule), among those above. */
const LEGACY_WITHOUT_SEMICOLON = new Set(['amp', 'lt']);
/** Entity decoding repeats until nothing changes, or this many rounds (each round is linear; `&amp;` chains are followed within one round). */
const MAX_DECODE_ROUNDS = 8;

/** One character of the shadow and the span `[start, end)` of the original text it stands for. */
interface ShadowChar {
  c: string;
  start: number;
  end: number;
}

/** A character as the shadow sees it: case-folded, NFKD, marks and format characters gone, look-alikes mapped. Zero or more characters. */
function normaliseChar(c: string): string[] {
  const out: string[] = [];
  for (const d of c.toLowerCase().normalize('NFKD')) {
    if (/[\p{Mn}\p{Me}\p{Cf}]/u.test(d)) continue;
    const lower = d.toLowerCase();
    out.push(SLASH_LOOKALIKES.has(lower) ? '/' : LESS_THAN_LOOKALIKES.has(lower) ? '<' : (CONFUSABLES[lower] ?? lower));
  }
  return out;
}

function pushNormalised(shadow: ShadowChar[], c: string, start: number, end: number): void {
  for (const n of normaliseChar(c)) shadow.push({ c: n, start, end });
}

/** The entity starting at `shadow[i]` (an `&`): what it decodes to and how many shadow characters it takes, or undefined. */
function entityAt(shadow: ShadowChar[], i: number): { decoded: string; length: number } | undefined {
  let j = i + 1;
  let name = '';
  // Names and numbers are short; 40 characters bounds the look-ahead, so a round stays linear.
  while (j < shadow.length && j - i <= 40 && /[#0-9a-z]/.test(shadow[j]!.c)) name += shadow[j++]!.c;
  const semicolon = j < shadow.length && shadow[j]!.c === ';';
  const numeric = /^#(?:x([0-9a-f]+)|([0-9]+))/.exec(name);
  if (numeric) {
    const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : parseInt(numeric[2]!, 10);
    if (code > 0 && code <= 0x10ffff) {
      const taken = numeric[0].length;
      const hasSemi = taken === name.length && semicolon;
      return { decoded: String.fromCodePoint(code), length: 1 + taken + (hasSemi ? 1 : 0) };
    }
    return undefined;
  }
  if (semicolon && NAMED_ENTITIES[name] !== undefined) return { decoded: NAMED_ENTITIES[name]!, length: name.length + 2 };
  for (const legacy of LEGACY_WITHOUT_SEMICOLON) {
    if (name.startsWith(legacy)) return { decoded: NAMED_ENTITIES[legacy]!, length: legacy.length + 1 };
  }
  return undefined;
}

/** One round of entity decoding over the shadow; an `&` it decodes to starts the next entity at once (`&amp;amp;lt;`). */
function decodeRound(shadow: ShadowChar[]): { shadow: ShadowChar[]; changed: boolean } {
  const out: ShadowChar[] = [];
  let changed = false;
  let i = 0;
  while (i < shadow.length) {
    if (shadow[i]!.c !== '&') {
      out.push(shadow[i++]!);
      continue;
    }
    const entity = entityAt(shadow, i);
    if (!entity) {
      out.push(shadow[i++]!);
      continue;
    }
    changed = true;
    const start = shadow[i]!.start;
    const end = shadow[i + entity.length - 1]!.end;
    const decoded: ShadowChar[] = [];
    pushNormalised(decoded, entity.decoded, start, end);
    i += entity.length;
    if (decoded.length === 1 && decoded[0]!.c === '&') {
      // Put the decoded `&` back in place of the entity's last character and read on from it.
      i -= 1;
      shadow[i] = decoded[0]!;
      continue;
    }
    out.push(...decoded);
  }
  return { shadow: out, changed };
}

/**
 * The text as a model may read it, each character mapped to the span of the original it came
 * from: entities decoded (repeatedly), NFKD, case-folded, marks and invisible format characters
 * dropped, Cyrillic and Greek look-alikes and slash and less-than look-alikes mapped.
 */
function shadowOf(text: string): ShadowChar[] {
  let shadow: ShadowChar[] = [];
  let offset = 0;
  for (const c of text) {
    pushNormalised(shadow, c, offset, offset + c.length);
    offset += c.length;
  }
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const next = decodeRound(shadow);
    shadow = next.shadow;
    if (!next.changed) break;
  }
  return shadow;
}

/** After the name: anything that cannot continue a tag name (`<topics>` is not ours, `<topic x="1">` is). */
const NAME_ENDS = String.raw`(?![\p{L}\p{N}_.:-])`;
const NAMES = [...DEFUSED_TAG_NAMES].sort((a, b) => b.length - a.length).join('|');
/** An opener in the shadow: the less-than sign, whitespace and slashes, one of our names. */
const SHADOW_OPENER = new RegExp(`<[\\s/]*(?:${NAMES})${NAME_ENDS}`, 'gu');

/** The openers of our tags in `text`: the original span of each one's less-than sign, and of the whole opener. */
function openerSpans(text: string): Array<{ lessThan: [number, number]; whole: [number, number] }> {
  const shadow = shadowOf(text);
  // The shadow as a string, and for each of its UTF-16 units the shadow character it belongs to.
  let flat = '';
  const owner: number[] = [];
  shadow.forEach((s, index) => {
    flat += s.c;
    for (let k = 0; k < s.c.length; k++) owner.push(index);
  });
  const spans: Array<{ lessThan: [number, number]; whole: [number, number] }> = [];
  for (const m of flat.matchAll(SHADOW_OPENER)) {
    const first = shadow[owner[m.index]!]!;
    const last = shadow[owner[m.index + m[0].length - 1]!]!;
    spans.push({ lessThan: [first.start, first.end], whole: [first.start, last.end] });
  }
  return spans;
}

/** Neutralises every opener (`<tag`, `</tag`, `&lt;&#47;tag`, `＜／ｔａｇ`, `</tаg` with a Cyrillic а…) of our tag names; see the module comment. */
export function defuse(text: string): string {
  const spans = openerSpans(text);
  if (!spans.length) return text;
  let out = '';
  let at = 0;
  for (const { lessThan: [start, end] } of spans) {
    if (start < at) continue;
    out += text.slice(at, start) + DEFUSED_LESS_THAN;
    at = end;
  }
  return out + text.slice(at);
}

/** True when `text` holds an opener of one of our tags (what `defuse` leaves none of). */
export function hasTagOpener(text: string): boolean {
  return openerSpans(text).length > 0;
}

/** Every opener of our tags in `text`, in order, as written in the original (for tests and checks). */
export function tagOpeners(text: string): string[] {
  return openerSpans(text).map(({ whole: [start, end] }) => text.slice(start, end));
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
