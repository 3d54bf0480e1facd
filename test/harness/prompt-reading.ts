/**
 * An independent judge of prompts: the text as a model may read it, normalised in full with a
 * simple implementation of its own (whole-string passes, no index map, nothing shared with
 * src/shared/delimit.ts), and the openers of our tag names counted in it. A test that judged
 * prompts with defuse's own pattern could never fail.
 */

/** Our prompt tags and the names defused with them, written out again (not imported), so a rename there must be made here too. */
export const CHECKED_TAG_NAMES = ['topic', 'research', 'draft', 'feedback', 'team_documents', 'team_document', 'article_under_check', 'problem', 'system', 'passage'];

const NAMED: Record<string, string> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", sol: '/', frasl: '\u2044', nbsp: '\u00A0', lsaquo: '\u2039', lang: '\u27E8', langle: '\u27E8', slash: '/', shy: '\u00AD', zwj: '\u200D', zwnj: '\u200C',
};
const LESS_THANS = /[\u2329\u3008\u27E8\u276C\u02C2\u1438]/g;
const SLASHES = /[\u2044\u2215\u29F8\u2571\u3033]/g;
const LOOKALIKES: Record<string, string> = {
  а: 'a', в: 'b', ь: 'b', с: 'c', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k', м: 'm', п: 'n', о: 'o', р: 'p', ԛ: 'q', г: 'r', ѕ: 's', т: 't',
  и: 'u', ц: 'u', ѵ: 'v', ԝ: 'w', х: 'x', у: 'y', α: 'a', β: 'b', ϲ: 'c', δ: 'd', ε: 'e', η: 'n', ι: 'i', ϳ: 'j', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', σ: 'o', ς: 's',
  τ: 't', υ: 'u', χ: 'x', γ: 'y', ω: 'w',
};

function decodeOnce(text: string): string {
  return text.replace(/&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*)(;?)/g, (whole, body: string, semi: string) => {
    if (body.startsWith('#')) {
      const code = /^#[xX]/.test(body) ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    const lower = body.toLowerCase();
    if (semi && NAMED[lower] !== undefined) return NAMED[lower];
    // HTML's legacy forms without `;`: `&lt`, `&amp` followed by anything.
    for (const legacy of ['lt', 'amp']) if (lower.startsWith(legacy)) return NAMED[legacy] + body.slice(legacy.length) + semi;
    return whole;
  });
}

/** The whole text as a model may read it: decoded until stable, NFKC, marks and format characters gone, case-folded, look-alikes mapped. */
export function modelReading(text: string): string {
  let t = text;
  for (let i = 0; i < 100; i++) {
    const next = decodeOnce(t.normalize('NFKC'));
    if (next === t) break;
    t = next;
  }
  t = t.normalize('NFKC').toLowerCase().normalize('NFD').replace(/[\p{M}\p{Cf}]/gu, '');
  t = [...t].map((c) => LOOKALIKES[c] ?? c).join('');
  return t.replace(LESS_THANS, '<').replace(SLASHES, '/');
}

const OPENER = new RegExp(`<\\s*(/?)\\s*/*\\s*(${[...CHECKED_TAG_NAMES].sort((a, b) => b.length - a.length).join('|')})(?![\\p{L}\\p{N}_.:-])`, 'gu');

/** The openers of our tags a model may read in `text`, normalised: `<topic`, `</draft`… */
export function readOpeners(text: string): string[] {
  return [...modelReading(text).matchAll(OPENER)].map((m) => `<${m[1]}${m[2]}`);
}
