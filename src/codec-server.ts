/**
 * `npm run codec-server` (compiled: `node dist/codec-server.js`, the compose service): the codec
 * server on its own, for a deployment's Web UI and CLI (src/temporal/codec-server.ts). It needs only
 * the namespace, the workers' key list and CODEC_SERVER_*; it never talks to Temporal.
 */
import 'dotenv/config';
import { ConfigError, loadCodecServerConfig, type CodecServerConfig } from './config.js';
import { onShutdownSignal } from './entry.js';
import { announce, configureLogging, log } from './ops/log.js';
import { encryptionFor } from './temporal/codec.js';
import { startCodecServer } from './temporal/codec-server.js';

let config: CodecServerConfig;
try {
  config = loadCodecServerConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const { codecServer } = config.encryption;
configureLogging({
  level: config.logLevel,
  format: config.logFormat,
  secrets: codecServer.token ? [codecServer.token] : [],
  base: { role: 'codec-server' },
});

// The configured keys, or the local key file (loadCodecServerConfig made sure it exists).
const { keys } = encryptionFor(config.encryption, (line) => log().info(line));
const server = await startCodecServer({
  ...codecServer,
  namespace: config.namespace,
  keys,
  onRefusal: (line) => log().warn(line),
}).catch((error: unknown) => {
  console.error((error as Error).message);
  process.exit(1);
});

announce(
  `Codec server ${server.url} decodes namespace "${config.namespace}" with keys ${keys.map((k) => k.id).join(', ')}; ` +
    `Web UI origins ${codecServer.corsOrigins.join(', ')}; ${codecServer.token ? 'bearer token required' : 'no token (CODEC_SERVER_TOKEN unset)'}`,
);

onShutdownSignal(() => server.close());
