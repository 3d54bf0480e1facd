/**
 * Turns a file into sections of plain text, each with where it sits (heading path or page), so a
 * citation can name it. Markdown and text are read as they are; HTML and DOCX (through mammoth's
 * HTML) keep their headings; PDF (unpdf) keeps its pages.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import mammoth from 'mammoth';
import { extractText, getDocumentProxy } from 'unpdf';

export interface Section {
  /** Heading path such as "Guide › Rollout"; empty when there is none. */
  section: string;
  /** 1-based page for PDFs, 0 otherwise. */
  page: number;
  text: string;
}

export const SUPPORTED_EXTENSIONS = ['.md', '.markdown', '.txt', '.html', '.htm', '.pdf', '.docx'] as const;

export function isSupported(path: string): boolean {
  return (SUPPORTED_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/** A file that could not be read as its format says (reported and skipped, never fatal). */
export class UnreadableFileError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'UnreadableFileError';
  }
}

/** Splits Markdown at its headings; each section carries the path of headings above it. */
export function markdownSections(text: string): Section[] {
  const sections: Section[] = [];
  const trail: string[] = [];
  let lines: string[] = [];
  let inFence = false;
  const flush = () => {
    const body = lines.join('\n').trim();
    if (body) sections.push({ section: trail.filter(Boolean).join(' › '), page: 0, text: body });
    lines = [];
  };
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      flush();
      const level = heading[1]!.length;
      trail.length = level - 1;
      trail[level - 1] = heading[2]!;
      continue;
    }
    lines.push(line);
  }
  flush();
  return sections;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1]?.toLowerCase() === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

/**
 * HTML to Markdown-ish text: headings become `#` lines (so sections follow them), block elements
 * become line breaks, scripts, styles and the rest of the markup are dropped.
 */
export function htmlToText(html: string): string {
  return decodeEntities(
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(script|style|noscript|template|head)\b[\s\S]*?<\/\1\s*>/gi, '')
      .replace(/<h([1-6])\b[^>]*>([\s\S]*?)<\/h\1\s*>/gi, (_, level: string, inner: string) => `\n\n${'#'.repeat(Number(level))} ${inner.replace(/<[^>]*>/g, '').replace(/\s+/g, ' ').trim()}\n\n`)
      .replace(/<li\b[^>]*>/gi, '\n- ')
      .replace(/<(br|hr)\b[^>]*>/gi, '\n')
      .replace(/<\/?(p|div|section|article|header|footer|main|ul|ol|table|tr|blockquote|pre)\b[^>]*>/gi, '\n\n')
      .replace(/<[^>]*>/g, ''),
  )
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n\s*(\n\s*)+/g, '\n\n')
    .trim();
}

async function pdfSections(path: string, data: Buffer): Promise<Section[]> {
  let pages: string[];
  try {
    const pdf = await getDocumentProxy(new Uint8Array(data));
    pages = (await extractText(pdf, { mergePages: false })).text;
  } catch (error) {
    throw new UnreadableFileError(path, `not a readable PDF (${(error as Error).message})`);
  }
  return pages.map((text, i) => ({ section: '', page: i + 1, text: text.trim() })).filter((s) => s.text);
}

async function docxSections(path: string, data: Buffer): Promise<Section[]> {
  let html: string;
  try {
    html = (await mammoth.convertToHtml({ buffer: data })).value;
  } catch (error) {
    throw new UnreadableFileError(path, `not a readable DOCX (${(error as Error).message})`);
  }
  return markdownSections(htmlToText(html));
}

/** Reads a file into sections; throws UnreadableFileError when its content is not what its name says. */
export async function loadSections(path: string, data?: Buffer): Promise<Section[]> {
  const bytes = data ?? (await readFile(path));
  const ext = extname(path).toLowerCase();
  if (ext === '.pdf') return pdfSections(path, bytes);
  if (ext === '.docx') return docxSections(path, bytes);
  const text = bytes.toString('utf8');
  if (text.includes('\u0000')) throw new UnreadableFileError(path, 'looks like a binary file, not text');
  if (ext === '.html' || ext === '.htm') return markdownSections(htmlToText(text));
  if (ext === '.txt') return text.trim() ? [{ section: '', page: 0, text: text.trim() }] : [];
  return markdownSections(text);
}
