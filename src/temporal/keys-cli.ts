/**
 * `npm run keys -- new [id]`: prints a new payload key entry (`id:base64`) and how to rotate to it.
 * `npm run keys -- check`: lists the running pipelines that need a key outside PAYLOAD_KEYS
 * (or PAYLOAD_KEYS_FILE, or the embedded server's key file): exit 1 if any, 0 if none, 2 when it
 * cannot tell (bad settings, Temporal unreachable). Needs only the Temporal and key settings.
 */
import 'dotenv/config';
import { existsSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { ConfigError, loadKeysConfig } from '../config.js';
import { errorChain } from '../shared/error-chain.js';
import { localKeyFile, newPayloadKeyEntry, writeKeyFile } from './codec.js';
import { describeRunsNeedingKeys, rotationAdvice, runsNeedingKeys } from './keys.js';

const USAGE = [
  'Usage:',
  '  npm run keys -- new [id] [--out FILE]   print a new key entry (id:base64) and how to rotate to it;',
  '                                           with --out, write it to FILE instead (created, owner-only, never overwritten)',
  '  npm run keys -- check      list running pipelines that need a key the configuration lacks (exit 1 if any)',
].join('\n');

async function check(): Promise<number> {
  let settings: ReturnType<typeof loadKeysConfig>;
  try {
    settings = loadKeysConfig();
  } catch (error) {
    console.error(error instanceof ConfigError ? error.message : errorChain(error));
    return 2;
  }
  const { encryption } = settings;
  // The embedded server's key file when no list is set; never created here.
  const keys = encryption.mode === 'off' ? [] : (encryption.keys ?? (existsSync(encryption.localKeyFile) ? localKeyFile(encryption.localKeyFile).keys : []));
  const keyIds = keys.map((key) => key.id);
  const address = settings.connection.address ?? settings.localAddress;
  let connection: Connection;
  try {
    connection = await Connection.connect({ ...settings.connection, address });
  } catch (error) {
    console.error(`Could not reach Temporal at ${address}: ${errorChain(error)}`);
    return 2;
  }
  try {
    // No codec: nothing is decrypted, only search attributes are read.
    const client = new Client({ connection, namespace: settings.namespace });
    const found = await runsNeedingKeys(client, keyIds);
    console.log(`Temporal at ${address}, namespace "${settings.namespace}":\n${describeRunsNeedingKeys(found, keyIds)}`);
    for (const run of found.runs) console.log(`  ${run.workflowId}  needs "${run.keyId}"  (started ${run.startTime.toISOString()})`);
    return found.count > 0 ? 1 : 0;
  } catch (error) {
    console.error(`Could not list running pipelines in "${settings.namespace}" (is PayloadKey registered? npm run setup:temporal): ${errorChain(error)}`);
    return 2;
  } finally {
    await connection.close();
  }
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === 'new') {
    const outAt = rest.indexOf('--out');
    const out = outAt >= 0 ? rest[outAt + 1] : undefined;
    const ids = outAt >= 0 ? [...rest.slice(0, outAt), ...rest.slice(outAt + 2)] : rest;
    if (ids.length > 1 || (outAt >= 0 && !out)) {
      console.error(USAGE);
      return 2;
    }
    let entry: string;
    try {
      entry = newPayloadKeyEntry(ids[0]);
      // A file written here holds nothing but the key (npm's banner on stdout cannot slip in), readable by its owner only.
      if (out) writeKeyFile(out, `${entry}\n`);
    } catch (error) {
      console.error((error as Error).message);
      return 2;
    }
    // The entry alone on stdout (so it can be piped into a secret store), the advice on stderr.
    if (out) console.error(`Wrote a new key "${entry.slice(0, entry.indexOf(':'))}" to ${out} (readable by its owner only).`);
    else console.log(entry);
    console.error(rotationAdvice(entry));
    return 0;
  }
  if (command === 'check' && rest.length === 0) return check();
  console.error(USAGE);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
