/**
 * A small zip reader for DOCX that trusts nothing the zip says about itself: it reads the central
 * directory (names, methods, where each entry's data lies) and inflates an entry only when asked,
 * counting the bytes inflation actually produces against one budget for the whole file and
 * stopping at it (zlib's `maxOutputLength`), whatever sizes the headers declare.
 *
 * It is handed to mammoth as its zip (`{ file }` input), so what is counted is exactly what mammoth
 * reads. Format: PKWARE APPNOTE.TXT, sections 4.3.7 (local header), 4.3.12 (central directory
 * header), 4.3.16 (end of central directory).
 */
import { inflateRawSync } from 'node:zlib';

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** A DOCX has a few dozen parts; thousands of entries is a zip made to waste time. */
export const MAX_ZIP_ENTRIES = 10_000;

export class ZipFormatError extends Error {}

/** Thrown when inflating would go past the budget: `inflated` bytes were produced before it stopped. */
export class ZipBudgetError extends Error {
  constructor(readonly entry: string, readonly inflated: number, readonly budget: number) {
    super(`${entry} inflates past the budget of ${budget} bytes`);
  }
}

interface Entry {
  name: string;
  method: number;
  compressedSize: number;
  localOffset: number;
}

export interface BoundedZip {
  /** Names in the central directory, in order. */
  names: string[];
  exists(name: string): boolean;
  /** The entry's bytes (or text, or base64) inflated within what is left of the budget. */
  read(name: string, encoding?: string): Promise<Uint8Array | string>;
  /** Bytes inflated so far. */
  readonly inflated: number;
}

function endOfCentralDirectory(data: Buffer): number {
  // The record is 22 bytes plus a comment of at most 65,535.
  const earliest = Math.max(0, data.length - 22 - 0xffff);
  for (let at = data.length - 22; at >= earliest; at--) {
    if (data.readUInt32LE(at) === EOCD) return at;
  }
  throw new ZipFormatError('not a zip file (no end of central directory)');
}

export function openBoundedZip(data: Buffer, budget: number): BoundedZip {
  if (data.length < 22) throw new ZipFormatError('not a zip file (too short)');
  const eocd = endOfCentralDirectory(data);
  const count = data.readUInt16LE(eocd + 10);
  const size = data.readUInt32LE(eocd + 12);
  const offset = data.readUInt32LE(eocd + 16);
  if (count === 0xffff || size === 0xffffffff || offset === 0xffffffff) throw new ZipFormatError('a ZIP64 archive, which no document needs');
  if (count > MAX_ZIP_ENTRIES) throw new ZipFormatError(`${count} entries in its zip, more than the ${MAX_ZIP_ENTRIES} a document could need`);
  if (offset + size > eocd) throw new ZipFormatError('its central directory lies outside the file');

  const entries = new Map<string, Entry>();
  const names: string[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || data.readUInt32LE(at) !== CENTRAL) throw new ZipFormatError('a damaged central directory');
    const flags = data.readUInt16LE(at + 8);
    const method = data.readUInt16LE(at + 10);
    const compressedSize = data.readUInt32LE(at + 20);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const localOffset = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    if (flags & 0x1) throw new ZipFormatError(`${name} is encrypted`);
    names.push(name);
    // Of two entries with one name the first is kept; every read is counted whichever it is.
    if (!entries.has(name)) entries.set(name, { name, method, compressedSize, localOffset });
    at += 46 + nameLength + extraLength + commentLength;
  }

  let inflated = 0;
  const bytesOf = (entry: Entry): Buffer => {
    const local = entry.localOffset;
    if (local + 30 > data.length || data.readUInt32LE(local) !== LOCAL) throw new ZipFormatError(`${entry.name}: a damaged local header`);
    const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
    const end = start + entry.compressedSize;
    if (end > data.length) throw new ZipFormatError(`${entry.name}: its data runs past the end of the file`);
    const raw = data.subarray(start, end);
    const left = budget - inflated;
    if (entry.method === 0) {
      if (raw.length > left) throw new ZipBudgetError(entry.name, inflated + raw.length, budget);
      inflated += raw.length;
      return raw;
    }
    if (entry.method !== 8) throw new ZipFormatError(`${entry.name}: compression method ${entry.method}, not one a document uses`);
    let out: Buffer;
    try {
      // zlib stops and throws once its output would pass maxOutputLength: the declared size is never used.
      out = inflateRawSync(raw, { maxOutputLength: Math.max(1, left) });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipBudgetError(entry.name, budget + 1, budget);
      throw new ZipFormatError(`${entry.name}: ${(error as Error).message}`);
    }
    if (out.length > left) throw new ZipBudgetError(entry.name, inflated + out.length, budget);
    inflated += out.length;
    return out;
  };

  return {
    names,
    exists: (name) => entries.has(name),
    read: async (name, encoding) => {
      const entry = entries.get(name);
      if (!entry) throw new ZipFormatError(`no ${name} in the zip`);
      const bytes = bytesOf(entry);
      if (encoding === 'base64') return bytes.toString('base64');
      if (encoding) return new TextDecoder(encoding).decode(bytes);
      return new Uint8Array(bytes);
    },
    get inflated() {
      return inflated;
    },
  };
}
