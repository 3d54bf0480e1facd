/**
 * The playground's sample writer: what the stand-in OpenAI server answers when no model is
 * configured. Deterministic, instant, readable text about the topic, and every piece says it is a
 * sample, so nobody mistakes it for research. It exists only in the playground.
 */
export const SAMPLE_NOTE = 'Sample text: no model configured';

export type SampleStep = 'researchTopic' | 'findExamples' | 'getStatistics' | 'writeArticle' | 'reviseArticle' | 'checkEvidence' | 'unknown';

/**
 * The text inside the last `<tag>…</tag>` of a prompt, if any: the prompt's instructions may name
 * the tag before the tagged text itself.
 */
function tagged(prompt: string, tag: string): string | undefined {
  const close = prompt.lastIndexOf(`</${tag}>`);
  const open = close < 0 ? -1 : prompt.lastIndexOf(`<${tag}>`, close);
  return open < 0 ? undefined : prompt.slice(open + tag.length + 2, close).trim();
}

function titleCase(topic: string): string {
  return topic.replace(/\b\p{L}/gu, (letter) => letter.toUpperCase());
}

function article(topic: string, feedback?: string): string {
  const title = titleCase(topic);
  const lines = [
    `# ${title}: what it is and why teams adopt it`,
    '',
    `> *${SAMPLE_NOTE}. Set OPENAI_API_KEY to have a real model research and write this article.*`,
    '',
    `Most teams first meet **${topic}** when something breaks at the worst moment: a job that dies halfway, a retry that runs twice, a customer left waiting. ` +
      `This article walks through what ${topic} means in practice, where it pays off, and what it costs.`,
    '',
    '## How it works',
    '',
    `At its core, ${topic} is about making progress explicit. Instead of hoping a long process finishes in one go, each step is recorded, ` +
      'so that after a crash or a deploy the work resumes from the last completed step rather than from the start. Three ideas carry most of the weight:',
    '',
    '- **Recorded progress**: every completed step is written down before the next begins.',
    '- **Safe retries**: a failed step is tried again with back-off, and steps are written so a retry does no harm.',
    '- **Visibility**: the state of every run can be inspected, so "where is my request?" has an answer.',
    '',
    '## Where it pays off',
    '',
    `Teams reach for ${topic} when work spans minutes to days: order fulfilment, data pipelines, onboarding flows, or a review step that waits for a person. ` +
      'The common thread is that the cost of losing track of a half-finished task is higher than the cost of recording it.',
    '',
    '## The trade-offs',
    '',
    'Nothing is free. Recording every step adds latency and storage, and code must be written so that replaying it gives the same decisions. ' +
      `Adopting ${topic} is usually worth it once failures are frequent enough to be routine rather than exceptional.`,
  ];
  if (feedback) {
    lines.push('', '## What changed in this version', '', `This revision responds to the editor's note: “${feedback.replace(/\s+/g, ' ').slice(0, 300)}”.`);
  }
  lines.push('', '## Conclusion', '', `${title} turns fragile, hope-it-finishes processes into work that can be trusted to complete, and shows where it stands while it runs.`);
  return lines.join('\n');
}

/** The answer to one pipeline step's prompt (the user message, which holds the topic and feedback). */
export function sampleAnswer(step: SampleStep, prompt: string): string {
  const topic = tagged(prompt, 'topic') ?? 'the topic';
  switch (step) {
    case 'researchTopic':
      return [
        `- (${SAMPLE_NOTE}.)`,
        `- ${titleCase(topic)} records each step of long-running work so it can resume after a failure.`,
        '- Failed steps are retried automatically, with back-off.',
        '- Progress is visible while the work runs.',
        '- The main cost is extra latency and storage for the recorded steps.',
      ].join('\n');
    case 'findExamples':
      return JSON.stringify({
        first_example: { title: 'An online shop (sample)', description: `Order fulfilment that survives deploys thanks to ${topic}. ${SAMPLE_NOTE}.` },
        second_example: { title: 'A data team (sample)', description: `Nightly pipelines that resume where they stopped instead of starting over. ${SAMPLE_NOTE}.` },
        third_example: { title: 'A support desk (sample)', description: `Escalations that wait days for a person without losing their place. ${SAMPLE_NOTE}.` },
      });
    case 'getStatistics':
      return [
        `1. (${SAMPLE_NOTE}: these figures are illustrations, not data.)`,
        '2. A sample team cut failed runs by about half (illustrative).',
        '3. A sample pipeline finished 99.9% of runs without manual help (illustrative).',
      ].join('\n');
    case 'writeArticle':
      return article(topic);
    case 'reviseArticle':
      return article(topic, tagged(prompt, 'feedback'));
    default:
      return `${SAMPLE_NOTE}.`;
  }
}
