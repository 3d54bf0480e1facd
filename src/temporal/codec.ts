/**
 * Payload encryption, the Temporal way: a `PayloadCodec` every worker, client and script puts in
 * its data converter, so the server stores ciphertext for everything people wrote or the model
 * produced (inputs, results, signals, updates, queries, activity arguments, memo, summaries, and
 * failure messages through failure-converter.cjs). Search attributes and headers never pass through
 * a codec: nothing readable goes there (src/workflows/search-attributes.ts).
 *
 * AES-256-GCM, a fresh 96-bit IV per payload, the key's ID in the payload's metadata (so a run
 * started under an old key still decrypts after a rotation, as long as that key stays in the list),
 * and the whole original payload (metadata and data) inside the ciphertext. Not workflow code: the
 * codec runs outside the sandbox, so recorded histories replay with or without it.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';
import { log } from '../ops/log.js';

// A CommonJS package: its namespaces come off the default export under Node's ESM loader.
const { temporal } = proto;

/** `on` (default): encrypt, and still read payloads written before encryption; `required`: refuse those too; `off`: plaintext. */
export type EncryptionMode = 'on' | 'off' | 'required';

export interface PayloadKey {
  /** Short name stored beside each payload (`encryption-key-id`), never secret. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

/** What the processes run with: the first key encrypts, all of them decrypt. */
export interface Encryption {
  mode: EncryptionMode;
  keys: PayloadKey[];
}

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** A payload the codec cannot or will not decode, with what an operator should do about it. */
export class PayloadDecodeError extends Error {
  constructor(
    message: string,
    /** The key a payload needs that the list does not have, when that is the reason. */
    readonly missingKeyId?: string,
  ) {
    super(message);
    this.name = 'PayloadDecodeError';
  }
}

/**
 * `kid1:base64key,kid2:base64key` (commas or new lines; `#` starts a comment in a key file).
 * Returns the keys, or what is wrong with the text, never echoing key material.
 */
export function parsePayloadKeys(text: string): PayloadKey[] | { problem: string } {
  const entries = text
    .split(/[,\n]/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter(Boolean);
  if (!entries.length) return { problem: 'has no key in it.' };
  const keys: PayloadKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon < 0 ? '' : entry.slice(0, colon).trim();
    const material = colon < 0 ? '' : entry.slice(colon + 1).trim();
    const where = `entry ${index + 1}${KEY_ID_PATTERN.test(id) ? ` ("${id}")` : ''}`;
    if (!KEY_ID_PATTERN.test(id)) return { problem: `${where} is not "id:base64key" with an ID of letters, digits, ".", "_" or "-".` };
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(material)) return { problem: `${where} has a key that is not base64.` };
    const key = Buffer.from(material.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length !== 32) return { problem: `${where} has a ${key.length}-byte key; AES-256 needs 32 bytes (44 base64 characters).` };
    if (keys.some((known) => known.id === id)) return { problem: `${where} repeats a key ID; each key needs its own.` };
    keys.push({ id, key });
  }
  return keys;
}

/** A new key as one `id:base64` entry (`npm run keys -- new`). */
export function newPayloadKeyEntry(id = `k${new Date().toISOString().slice(0, 10).replace(/-/g, '')}`): string {
  if (!KEY_ID_PATTERN.test(id)) throw new Error(`A key ID is letters, digits, ".", "_" or "-" (1 to 64 of them), not "${id}".`);
  return `${id}:${randomBytes(32).toString('base64')}`;
}

/** True for a payload this codec wrote. */
export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
}

/** The key a stored payload was encrypted with; undefined for a plaintext one. */
export function keyIdOf(payload: Payload): string | undefined {
  const id = payload.metadata?.[KEY_ID_METADATA];
  return isEncrypted(payload) && id ? fromUtf8.decode(id) : undefined;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;
  private readonly current: PayloadKey;

  constructor(
    keys: PayloadKey[],
    private readonly options: { required?: boolean } = {},
  ) {
    if (!keys.length) throw new Error('EncryptionCodec needs at least one key.');
    this.current = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The ID new payloads are encrypted under. */
  get currentKeyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.encrypt(payload));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decrypt(payload));
  }

  private encrypt(payload: Payload): Payload {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    // The key ID is authenticated too: a payload moved under another ID fails to decrypt.
    cipher.setAAD(utf8.encode(this.current.id));
    const plain = temporal.api.common.v1.Payload.encode(payload).finish();
    const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: {
        encoding: utf8.encode(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA]: utf8.encode(this.current.id),
        [CIPHER_METADATA]: utf8.encode(CIPHER),
      },
      data: new Uint8Array(sealed),
    };
  }

  private decrypt(payload: Payload): Payload {
    if (!isEncrypted(payload)) {
      if (this.options.required) {
        throw new PayloadDecodeError(
          'Refused a payload that is not encrypted (PAYLOAD_ENCRYPTION=required): something wrote to this namespace without the key. ' +
            'Send signals and start runs through the bot, or through the CLI with --codec-endpoint.',
        );
      }
      return payload; // written before encryption was on: those runs still finish
    }
    const id = keyIdOf(payload) ?? '';
    const key = this.byId.get(id);
    if (!key) {
      throw new PayloadDecodeError(
        `A payload is encrypted with key "${id}", which PAYLOAD_KEYS does not have. Put "${id}" back in the list (after the key that encrypts) ` +
          'until every run started under it has finished: `npm run keys -- check` lists them.',
        id,
      );
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecodeError(`A payload under key "${id}" is too short to be one this codec wrote.`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(utf8.encode(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    } catch {
      throw new PayloadDecodeError(`A payload under key "${id}" failed authentication: the key with that ID is not the one that encrypted it, or the payload was altered.`);
    }
  }
}

const here = fileURLToPath(import.meta.url);

/**
 * The failure converter's module (failure-converter.cjs, beside this file under tsx and copied
 * beside the compiled code by `npm run build`): Temporal requires it by path in workers and
 * bundles it into workflow code.
 */
export const failureConverterPath = path.join(path.dirname(here), 'failure-converter.cjs');

/**
 * The data converter of every worker, client and script: failures always travel encoded (so the
 * workflow bundle is the same whichever mode runs it), and payloads pass through the codec unless
 * encryption is off.
 */
export function temporalDataConverter(encryption: Encryption): DataConverter {
  return {
    failureConverterPath,
    payloadCodecs: encryption.mode === 'off' ? [] : [new EncryptionCodec(encryption.keys, { required: encryption.mode === 'required' })],
  };
}

/** A local key file that cannot be used as it is; the message says what to do. */
export class LocalKeyFileError extends Error {
  override name = 'LocalKeyFileError';
}

/**
 * Writes a key file that did not exist: its directory made if needed, readable by its owner only,
 * and complete before anyone can see it (written aside, then linked into place, which fails if the
 * name exists), so two processes starting together never read a half-written file.
 */
export function writeKeyFile(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(aside, text, { flag: 'wx', mode: 0o600 });
  try {
    linkSync(aside, file);
  } finally {
    rmSync(aside, { force: true });
  }
}

/**
 * The key file of a local setup (beside the embedded server's data): read it, or create it with a
 * new key the first time (only the owner may read it). `created` says the key is new, so the
 * caller can tell the person where it is. A marker beside it (`<file>.made`, no secret in it)
 * remembers that a key was made there: if the key file goes and the marker stays, the runs in that
 * server's data were encrypted with the lost key, and a new one would silently read none of them,
 * so this refuses instead.
 */
export function localKeyFile(file: string): { keys: PayloadKey[]; created: boolean } {
  const marker = `${file}.made`;
  let created = false;
  if (!existsSync(file)) {
    if (existsSync(marker)) {
      throw new LocalKeyFileError(
        `${file} is gone, but the runs this checkout's Temporal server stored were encrypted with the key it held (${readFileSync(marker, 'utf8').trim()}). ` +
          `Restore the file from a backup; or, to start afresh without those runs, delete ${path.dirname(file)}/ (the server's data goes with it).`,
      );
    }
    try {
      const entry = newPayloadKeyEntry('local1');
      writeKeyFile(file, `# Payload encryption key of this checkout's embedded Temporal server (see docs/security.md).\n${entry}\n`);
      writeFileSync(marker, `key "local1" made ${new Date().toISOString()}\n`);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const keys = parsePayloadKeys(readFileSync(file, 'utf8'));
  if ('problem' in keys) throw new LocalKeyFileError(`${file} ${keys.problem} Restore it from a backup, or set PAYLOAD_KEYS.`);
  return { keys, created };
}

/**
 * The keys a process runs with, from its configuration: the configured list, none when encryption
 * is off, else the local key file (created the first time, and `say` tells the person where).
 */
export function encryptionFor(
  settings: { mode: EncryptionMode; keys: PayloadKey[] | undefined; localKeyFile: string },
  say: (line: string) => void = console.log,
): Encryption {
  if (settings.mode === 'off') return { mode: 'off', keys: [] };
  if (settings.keys) return { mode: settings.mode, keys: settings.keys };
  const local = localKeyFile(settings.localKeyFile);
  if (local.created) {
    say(
      `Created a payload encryption key in ${settings.localKeyFile}: Temporal stores this checkout's runs encrypted with it. ` +
        'Keep the file with the server\'s data; without it those runs cannot be read.',
    );
  }
  return { mode: settings.mode, keys: local.keys };
}

/**
 * The data converter of a process's workers and clients from its configuration
 * (`config.encryption`): payloads encrypted with the configured keys, or the local key file of an
 * embedded server; failures encoded.
 */
export function dataConverterFor(config: { encryption: Parameters<typeof encryptionFor>[0] }): DataConverter {
  return temporalDataConverter(encryptionFor(config.encryption, (line) => log().warn(line)));
}
