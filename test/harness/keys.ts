/**
 * The payload keys of the test suite (never used anywhere else): derived from fixed labels at run
 * time, so no key material sits in the repository, and the same on every machine, so histories
 * recorded with encryption on replay in any checkout.
 */
import { createHash } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { EncryptionCodec, parsePayloadKeys, temporalDataConverter, type Encryption, type PayloadKey } from '../../src/temporal/codec.js';

/** `id:base64` for a test key named `id`. */
export function testKeyEntry(id: string): string {
  return `${id}:${createHash('sha256').update(`content-pipeline test payload key ${id}`).digest('base64')}`;
}

/** PAYLOAD_KEYS as every stack and spawned process in the suite gets it unless a test says otherwise. */
export const TEST_PAYLOAD_KEYS = testKeyEntry('test1');

export function testKeys(...ids: string[]): PayloadKey[] {
  return parsePayloadKeys(ids.map(testKeyEntry).join(',')) as PayloadKey[];
}

/** Encryption on with the suite's key, as a stack runs. */
export const TEST_ENCRYPTION: Encryption = { mode: 'on', keys: testKeys('test1') };

const suiteCodec = new EncryptionCodec(testKeys('test1'));

/** A payload as stored by the suite's processes, decrypted and parsed (JSON payloads only). */
export async function openPayload(payload: Payload | null | undefined): Promise<unknown> {
  const [plain] = await suiteCodec.decode([payload ?? {}]);
  return JSON.parse(Buffer.from(plain?.data ?? []).toString()) as unknown;
}

/**
 * A history as a person with server access but no key reads it: every byte field (payload data,
 * metadata) as UTF-8 text, so plaintext anywhere shows. With `codec`, payloads are decoded first
 * (nested ones too: an encoded failure's attributes), as the Web UI shows them through the codec server.
 */
export async function historyAsText(history: unknown, codec?: PayloadCodec): Promise<string> {
  const walk = async (value: unknown): Promise<unknown> => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (value && typeof value === 'object') {
      let object = value as Record<string, unknown>;
      if (codec && 'metadata' in object && 'data' in object && object.metadata && typeof object.metadata === 'object') {
        object = (await codec.decode([object as Payload]))[0] as Record<string, unknown>;
      }
      const entries = await Promise.all(Object.entries(object).map(async ([key, inner]) => [key, await walk(inner)] as const));
      return Object.fromEntries(entries);
    }
    return value;
  };
  return JSON.stringify(await walk(history));
}

/** The suite's codec (key `test1`), for decoding what the stacks store. */
export const suitePayloadCodec: PayloadCodec = suiteCodec;

/** The data converter of every client a test makes beside a stack (or processes) that encrypts. */
export const TEST_DATA_CONVERTER = temporalDataConverter(TEST_ENCRYPTION);
