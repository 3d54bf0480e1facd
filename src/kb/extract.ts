/**
 * What a file's extraction does, format by format, within its limits (src/kb/limits.ts). This runs
 * inside the extraction worker (extract-worker.ts), never in the `kb add` process itself: the
 * worker's heap and time limits are the backstop for whatever these checks cannot foresee.
 *
 * Markdown and text are read as they are; HTML and DOCX (through mammoth's HTML) keep their
 * headings; PDF (unpdf) keeps its pages.
 */
import { htmlText, HtmlTextOverLimit, MAX_HEADING_CHARS } from './extract-html.js';
import { openBoundedZip, ZipBudgetError, ZipFormatError } from './extract-zip.js';
import type { FileLimitName, FileLimits } from './limits.js';

export { htmlToText, MAX_HEADING_CHARS } from './extract-html.js';

export interface Section {
  /** Heading path such as "Guide › Rollout"; empty when there is none. */
  section: string;
  /** 1-based page for PDFs, 0 otherwise. */
  page: number;
  text: string;
}

/** A file that could not be read as its format says (reported and skipped, never fatal). */
export class UnreadableFileError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.name = 'UnreadableFileError';
  }
}

/** The `kb add` flag that raises each limit (quoted in the messages; the CLI defines them). */
export const LIMIT_FLAGS: Readonly<Record<FileLimitName, string>> = Object.freeze({
  maxFileBytes: '--max-file-mb N',
  maxChars: '--max-chars N',
  maxPages: '--max-pages N',
  timeoutMs: '--extract-timeout-s N',
  maxHeapMb: '--max-heap-mb N',
});

/** A file past one of its limits: skipped with the limit, the figure it reached and the flag that raises it. */
export class OverLimitError extends UnreadableFileError {
  /** @param reached what the file reached, e.g. "1,204 pages, over the 1,000 limit" (the words kb add uses for its own checks) */
  constructor(path: string, readonly limit: FileLimitName, readonly reached: string) {
    super(path, `${reached} (raise it with ${LIMIT_FLAGS[limit]})`);
    this.name = 'OverLimitError';
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** Sizes as kb add writes them (ingest.ts): 1.5 MB, 20 KB. */
export function megabytes(bytes: number): string {
  const figure = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 1 });
  if (bytes >= 1024 * 1024) return `${figure(bytes / 1024 / 1024)} MB`;
  return bytes >= 1024 ? `${figure(bytes / 1024)} KB` : `${bytes} bytes`;
}

/**
 * Word XML is several bytes per character of text (runs, properties, revision ids), and every
 * document carries styles, numbering and settings parts whatever its length (20–35 KB in the 17
 * Word files of mammoth's test data). So the bytes a DOCX may inflate to are this many times its
 * character limit plus a fixed allowance: a 2,000,000-character limit lets a DOCX inflate 21 MB
 * of XML, and the 64 MiB and 268 MB zip bombs stop there.
 */
export const DOCX_BYTES_PER_CHAR = 10;
export const DOCX_FIXED_BYTES = 1024 * 1024;

const isSpace = (c: string) => /\s/.test(c);

/**
 * A Markdown ATX heading (`## Title ##`), read without regular expressions over the line: the
 * pattern it replaces (`^(#{1,6})\s+(.+?)\s*#*\s*$`) backtracked quadratically on a long line of
 * spaces. Same answers: 1–6 `#`, white space, then the title up to any closing `#`s.
 */
export function atxHeading(line: string): { level: number; title: string } | null {
  let level = 0;
  while (level < line.length && line[level] === '#') level++;
  if (level < 1 || level > 6) return null;
  let start = level;
  while (start < line.length && isSpace(line[start]!)) start++;
  if (start === level) return null;
  // The shortest title after which only `\s*#*\s*` remains; at least one character.
  let end = line.length;
  while (end > start && isSpace(line[end - 1]!)) end--;
  while (end > start && line[end - 1] === '#') end--;
  while (end > start && isSpace(line[end - 1]!)) end--;
  if (start === line.length) {
    // Only white space after the #s: the pattern gave back its last character that `.` matches as
    // the title, leaving at least one for `\s+`.
    let last = line.length - 1;
    while (last > level && /[\n\r\u2028\u2029]/.test(line[last]!)) last--;
    return last > level ? { level, title: line[last]! } : null;
  }
  const title = line.slice(start, Math.max(start + 1, end));
  if (/[\n\r\u2028\u2029]/.test(title)) return null; // `.` stops at line terminators
  return { level, title: title.length > MAX_HEADING_CHARS ? `${title.slice(0, MAX_HEADING_CHARS)}…` : title };
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
    const heading = inFence ? null : atxHeading(line);
    if (heading) {
      flush();
      trail.length = heading.level - 1;
      trail[heading.level - 1] = heading.title;
      continue;
    }
    lines.push(line);
  }
  flush();
  return sections;
}

function overChars(path: string, chars: number, limits: FileLimits): OverLimitError {
  return new OverLimitError(path, 'maxChars', `${count(chars)} characters of text, over the ${count(limits.maxChars)} limit`);
}

/**
 * Text into sections, within maxChars counted as kb add counts it (the sections' text). Text far
 * past the limit is refused before it is split, so the splitting never holds it.
 */
function sectionsWithin(path: string, text: string, limits: FileLimits): Section[] {
  if (text.length > 2 * limits.maxChars) throw overChars(path, text.length, limits);
  const sections = markdownSections(text);
  const chars = sections.reduce((sum, s) => sum + s.text.length, 0);
  if (chars > limits.maxChars) throw overChars(path, chars, limits);
  return sections;
}

/**
 * HTML's text into sections, stopping as soon as the text is over maxChars. A page whose text is
 * all swallowed by an unclosed `<script>` (or style, title, iframe) is reported, never indexed as
 * nothing.
 */
function htmlSections(path: string, html: string, limits: FileLimits): Section[] {
  let extracted: ReturnType<typeof htmlText>;
  try {
    extracted = htmlText(html, limits.maxChars);
  } catch (error) {
    if (error instanceof HtmlTextOverLimit) throw new OverLimitError(path, 'maxChars', `more than ${count(limits.maxChars)} characters of text, over the limit`);
    throw error;
  }
  const sections = sectionsWithin(path, extracted.text, limits);
  const { unclosed } = extracted;
  if (sections.length === 0 && unclosed && unclosed.chars > 0) {
    throw new UnreadableFileError(
      path,
      `no text found: the <${unclosed.name}> opened on line ${count(unclosed.line)} is never closed, so the rest of the file (${count(unclosed.chars)} characters) is read as its content, as a browser would; close it with </${unclosed.name}>`,
    );
  }
  return sections;
}

async function pdfSections(path: string, data: Buffer, limits: FileLimits): Promise<Section[]> {
  // Loaded when a PDF comes (pdf.js is large): a worker for a Markdown file starts without it.
  const { getDocumentProxy } = await import('unpdf');
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(new Uint8Array(data));
  } catch (error) {
    throw new UnreadableFileError(path, `not a readable PDF (${(error as Error).message})`);
  }
  try {
    if (pdf.numPages > limits.maxPages) throw new OverLimitError(path, 'maxPages', `${count(pdf.numPages)} pages, over the ${count(limits.maxPages)} limit`);
    const sections: Section[] = [];
    let chars = 0;
    for (let number = 1; number <= pdf.numPages; number++) {
      let text: string;
      try {
        // As unpdf's extractText: each item's string, a line break where the item ends a line.
        const page = await pdf.getPage(number);
        const content = await page.getTextContent();
        text = content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join('');
        page.cleanup(); // a long PDF's pages are not all kept
      } catch (error) {
        throw new UnreadableFileError(path, `not a readable PDF (page ${number}: ${(error as Error).message})`);
      }
      const trimmed = text.trim();
      chars += trimmed.length;
      if (chars > limits.maxChars) throw new OverLimitError(path, 'maxChars', `more than ${count(limits.maxChars)} characters of text by page ${count(number)} of ${count(pdf.numPages)}, over the limit`);
      if (trimmed) sections.push({ section: '', page: number, text: trimmed });
    }
    return sections;
  } finally {
    await pdf.destroy();
  }
}

async function docxSections(path: string, data: Buffer, limits: FileLimits): Promise<Section[]> {
  const budget = limits.maxChars * DOCX_BYTES_PER_CHAR + DOCX_FIXED_BYTES;
  const { default: mammoth } = await import('mammoth');
  let html: string;
  try {
    const zip = openBoundedZip(data, budget);
    // Images are not read at all (their text is none); mammoth reads every other part through the
    // bounded zip, so each inflated byte is counted.
    const convertImage = mammoth.images.imgElement(async () => ({ src: '' }));
    html = (await mammoth.convertToHtml({ file: zip } as unknown as Parameters<typeof mammoth.convertToHtml>[0], { convertImage })).value;
  } catch (error) {
    if (error instanceof ZipBudgetError) {
      throw new OverLimitError(path, 'maxChars', `its XML inflates to more than ${megabytes(budget)} (at ${error.entry}), over the limit for ${count(limits.maxChars)} characters at ${DOCX_BYTES_PER_CHAR} bytes a character plus 1 MB`);
    }
    const reason = error instanceof ZipFormatError ? error.message : (error as Error).message;
    throw new UnreadableFileError(path, `not a readable DOCX (${reason})`);
  }
  return htmlSections(path, html, limits);
}

/**
 * One file's bytes into sections, within `limits` (everything but time and heap, which the worker
 * enforces). Throws UnreadableFileError, or OverLimitError naming the limit.
 */
export async function extractSections(path: string, data: Buffer, limits: FileLimits): Promise<Section[]> {
  if (data.length > limits.maxFileBytes) {
    throw new OverLimitError(path, 'maxFileBytes', `${megabytes(data.length)} on disk, over the ${megabytes(limits.maxFileBytes)} limit`);
  }
  const ext = path.slice(path.lastIndexOf('.')).toLowerCase();
  if (ext === '.pdf') return pdfSections(path, data, limits);
  if (ext === '.docx') return docxSections(path, data, limits);
  const text = data.toString('utf8');
  if (text.includes('\u0000')) throw new UnreadableFileError(path, 'looks like a binary file, not text');
  // The markup's size is bounded by maxFileBytes; the limit on characters is the text's.
  if (ext === '.html' || ext === '.htm') return htmlSections(path, text, limits);
  if (ext === '.txt') {
    const trimmed = text.trim();
    if (trimmed.length > limits.maxChars) throw overChars(path, trimmed.length, limits);
    return trimmed ? [{ section: '', page: 0, text: trimmed }] : [];
  }
  return sectionsWithin(path, text, limits);
}
