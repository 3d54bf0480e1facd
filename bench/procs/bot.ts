/** The real bot (`startBot` from src/bot.ts: Bolt HTTP receiver + Temporal client) as its own process. */
import { startBot } from '../../src/bot.js';
import { loadConfig } from '../../src/config.js';
import { benchEnv, onStop, ready } from './child.js';

const config = loadConfig(benchEnv(), 'bot');
const address = config.temporal.connection.address;
if (!address) throw new Error('TEMPORAL_ADDRESS is required');
const bot = await startBot(config, address);
ready({ port: bot.port });
onStop(() => bot.stop());
