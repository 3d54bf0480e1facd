/**
 * `npm run stand-ins`: runs the stand-in Slack Web API and OpenAI servers the tests use, on fixed
 * ports, so the whole bot can be tried by hand without a Slack workspace or an API key.
 * Pair it with `npm start` (using the printed variables) and `npm run slack -- …` to send requests.
 */
import { FakeOpenAI } from '../src/stand-ins/openai.js';
import { FakeSlack } from '../src/stand-ins/slack/index.js';

const slackPort = Number(process.env.STANDIN_SLACK_PORT ?? 3990);
const openaiPort = Number(process.env.STANDIN_OPENAI_PORT ?? 3991);
const latencyMs = Number(process.env.STANDIN_LLM_LATENCY_MS ?? 500);

const slack = await new FakeSlack().start(slackPort);
const openai = await new FakeOpenAI().start(openaiPort);
openai.latencyMs = latencyMs;

console.log(`Stand-in Slack API on ${slack.apiUrl}  (GET ${slack.url}/_messages shows what the bot posted)`);
console.log(`Stand-in OpenAI API on ${openai.baseUrl}  (answers after ${latencyMs} ms)`);
console.log('\nIn another terminal:\n');
console.log(
  [
    `  SLACK_BOT_TOKEN=xoxb-local-test SLACK_SIGNING_SECRET=local-signing-secret \\`,
    `  SLACK_API_URL=${slack.apiUrl} OPENAI_API_KEY=sk-local-test OPENAI_BASE_URL=${openai.baseUrl} \\`,
    '  npm start',
    '',
    '  npm run slack -- research "durable execution"',
    '  npm run slack -- approve        # or: reject',
  ].join('\n'),
);

const stop = async () => {
  await Promise.all([slack.stop(), openai.stop()]);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
