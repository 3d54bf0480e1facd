/**
 * Hostile files for the extraction tests and bench/kb-bombs.ts, generated on the spot (nothing big
 * is committed): DOCX zip bombs, a PDF stream bomb, PDFs over the page limit, pathological HTML.
 * Compression is streamed, so making a 268 MB bomb never holds 268 MB here.
 */
import { createDeflate, createDeflateRaw } from 'node:zlib';

/** Deflates `chunk` repeated `times` times (raw deflate for zip entries, zlib for PDF streams). */
export async function deflateRepeated(chunk: Buffer, times: number, raw: boolean): Promise<Buffer> {
  const stream = raw ? createDeflateRaw({ level: 9 }) : createDeflate({ level: 9 });
  const out: Buffer[] = [];
  stream.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  for (let i = 0; i < times; i++) {
    if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  stream.end();
  await done;
  return Buffer.concat(out);
}

interface ZipEntry {
  name: string;
  /** Raw-deflated data. */
  deflated: Buffer;
  /** What the headers claim it inflates to (a liar's zip says little). */
  declaredSize: number;
}

/** A zip of deflated entries (APPNOTE 4.3), with whatever sizes the caller declares. */
export function zipOf(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
        local.writeUInt32LE(e.deflated.length, 18);
    local.writeUInt32LE(e.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
        central.writeUInt32LE(e.deflated.length, 20);
    central.writeUInt32LE(e.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.deflated);
    centrals.push(central, name);
    offset += 30 + name.length + e.deflated.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

async function entry(name: string, text: string): Promise<ZipEntry> {
  const data = Buffer.from(text, 'utf8');
  return { name, deflated: await deflateRepeated(data, 1, true), declaredSize: data.length };
}

const CONTENT_TYPES = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const DOC_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>';
const DOC_TAIL = '</w:t></w:r></w:p></w:body></w:document>';

/**
 * A DOCX whose word/document.xml is one paragraph of `mib` MiB of "a" (a 1,000:1 ratio), its
 * headers declaring the true size, or 1 KB when `lying`. 64 MiB gives ~66 KB on disk; 256 MiB
 * (268 MB) ~260 KB.
 */
export async function docxBomb(mib: number, lying = false): Promise<Buffer> {
  const block = Buffer.alloc(1024 * 1024, 'a');
  const stream = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  stream.on('data', (b: Buffer) => out.push(b));
  const done = new Promise<void>((resolve) => stream.on('end', resolve));
  stream.write(DOC_HEAD);
  for (let i = 0; i < mib; i++) {
    if (!stream.write(block)) await new Promise((resolve) => stream.once('drain', resolve));
  }
  stream.end(DOC_TAIL);
  await done;
  const size = Buffer.byteLength(DOC_HEAD) + mib * 1024 * 1024 + Buffer.byteLength(DOC_TAIL);
  const document: ZipEntry = { name: 'word/document.xml', deflated: Buffer.concat(out), declaredSize: lying ? 1024 : size };
  return zipOf([await entry('[Content_Types].xml', CONTENT_TYPES), await entry('_rels/.rels', RELS), document]);
}

/** A well-formed DOCX: a heading and paragraphs (as scripts/make-kb-fixtures.ts writes them). */
export async function docxOf(heading: string, paragraphs: string[]): Promise<Buffer> {
  const para = (text: string, style?: string) => `<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ''}<w:r><w:t xml:space="preserve">${text}</w:t></w:r></w:p>`;
  const xml = `${DOC_HEAD.slice(0, DOC_HEAD.indexOf('<w:p>'))}${para(heading, 'Heading1')}${paragraphs.map((p) => para(p)).join('')}</w:body></w:document>`;
  return zipOf([await entry('[Content_Types].xml', CONTENT_TYPES), await entry('_rels/.rels', RELS), await entry('word/document.xml', xml)]);
}

/** A PDF of the given objects (1-based ids; object 1 the catalog), with a correct xref table. */
function pdfOf(objects: Array<string | Buffer>): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n', 'latin1')];
  let length = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets[i + 1] = length;
    const bytes = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), typeof object === 'string' ? Buffer.from(object, 'latin1') : object, Buffer.from('\nendobj\n', 'latin1')]);
    parts.push(bytes);
    length += bytes.length;
  });
  let tail = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (let id = 1; id <= objects.length; id++) tail += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  tail += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${length}\n%%EOF\n`;
  parts.push(Buffer.from(tail, 'latin1'));
  return Buffer.concat(parts);
}

const FONT = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>';
const pageObject = (contents: number) => `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R >>`;

/** A PDF with `count` pages, each one line of text ("Page N"). */
export function pdfWithPages(count: number): Buffer {
  const objects: string[] = ['<< /Type /Catalog /Pages 2 0 R >>', '', FONT];
  const kids: string[] = [];
  for (let i = 0; i < count; i++) {
    const stream = `BT /F1 12 Tf 72 720 Td (Page ${i + 1}) Tj ET`;
    kids.push(`${objects.length + 1} 0 R`);
    objects.push(pageObject(objects.length + 2));
    objects.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
  }
  objects[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${count} >>`;
  return pdfOf(objects);
}

/**
 * A one-page PDF whose content stream is a FlateDecode stream of `mib` MiB: a few MB on disk that
 * inflate to gigabytes inside pdf.js. `text`: one text-showing operator per line, so parsing it
 * builds text on the heap; `blank`: zero bytes, white space to pdf.js's lexer, so only the
 * inflated buffer grows (outside the V8 heap).
 */
export async function pdfStreamBomb(mib: number, fill: 'text' | 'blank' = 'text'): Promise<Buffer> {
  const line = 'BT /F1 12 Tf 72 720 Td (zephyr bomb text) Tj ET\n';
  const block = fill === 'blank' ? Buffer.alloc(1024 * 1024) : Buffer.from(line.repeat(Math.floor((1024 * 1024) / line.length)), 'latin1');
  const deflated = await deflateRepeated(block, mib, false);
  const stream = Buffer.concat([Buffer.from(`<< /Length ${deflated.length} /Filter /FlateDecode >>\nstream\n`, 'latin1'), deflated, Buffer.from('\nendstream', 'latin1')]);
  return pdfOf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [4 0 R] /Count 1 >>', FONT, pageObject(5), stream]);
}

/** About `bytes` of markup made to be slow for a regular expression or a tree builder. */
export const PATHOLOGICAL_HTML: Record<string, (bytes: number) => string> = {
  'unclosed <script': (bytes) => '<script '.repeat(bytes / 8),
  '<a <a <a': (bytes) => '<a <a '.repeat(bytes / 6),
  'unclosed comments': (bytes) => '<!--'.repeat(bytes / 4),
  'deep nesting': (bytes) => '<div>'.repeat(bytes / 10) + '</span>'.repeat(bytes / 14),
  'headings never closed': (bytes) => '<h1>x'.repeat(bytes / 5),
};
