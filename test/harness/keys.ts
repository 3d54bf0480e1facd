/**
 * The payload keys of the test suite (never used anywhere else): derived from fixed labels at run
 * time, so no key material sits in the repository, and the same on every machine, so histories
 * recorded with encryption on replay in any checkout.
 */
import { createHash } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { EncryptionCodec, parsePayloadKeys, type Encryption, type PayloadKey } from '../../src/temporal/codec.js';

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
