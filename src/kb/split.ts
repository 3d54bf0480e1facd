/**
 * Sections → chunks with LangChain's recursive splitter. Each chunk starts with its heading path
 * (or page), so the heading is embedded with the text and travels with it to the writer.
 */
import { Document } from '@langchain/core/documents';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { ChunkMetadata } from './store.js';
import type { Section } from './loaders.js';

export const CHUNK_SIZE = 1_000;
export const CHUNK_OVERLAP = 150;

const splitter = new RecursiveCharacterTextSplitter({ chunkSize: CHUNK_SIZE, chunkOverlap: CHUNK_OVERLAP });

export function locationOf(meta: Pick<ChunkMetadata, 'section' | 'page'>): string {
  return [meta.section, meta.page ? `page ${meta.page}` : ''].filter(Boolean).join(', ');
}

export async function chunkSections(source: string, sections: Section[], collection = ''): Promise<Document<ChunkMetadata>[]> {
  const chunks: Document<ChunkMetadata>[] = [];
  for (const section of sections) {
    const where = locationOf(section);
    for (const piece of await splitter.splitText(section.text)) {
      const metadata: ChunkMetadata = { source, collection, section: section.section, page: section.page, chunk: chunks.length };
      chunks.push(new Document({ pageContent: where ? `${where}\n\n${piece}` : piece, metadata }));
    }
  }
  return chunks;
}
