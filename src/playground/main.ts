/** `npm run playground`: the local playground, whatever Slack settings are set (they are ignored). */
import '../entry.js'; // loads .env
import { runPlayground } from './index.js';

await runPlayground(process.env, 'explicit');
