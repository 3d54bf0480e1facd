/**
 * The peer's activities, as in the seed article: one ChatOpenAI call each, plain prompts, the text
 * back. The model client is made once per worker (the article makes one per call; that would only
 * add client construction to the peer's figures, not ours). Retries: Temporal's alone.
 */
import { ChatOpenAI } from '@langchain/openai';

export interface PeerActivityOptions {
  apiKey: string;
  baseUrl: string;
  model?: string;
}

export function createPeerActivities({ apiKey, baseUrl, model = 'gpt-4o-mini' }: PeerActivityOptions) {
  const llm = new ChatOpenAI({ model, apiKey, maxRetries: 0, configuration: { baseURL: baseUrl } });
  const ask = async (prompt: string) => {
    const answer = await llm.invoke(prompt);
    return typeof answer.content === 'string' ? answer.content : JSON.stringify(answer.content);
  };
  return {
    peerResearchTopic: (topic: string) => ask(`Research key facts about: <topic>${topic}</topic>`),
    peerFindExamples: async (topic: string) => (await ask(`List 3 real-world examples of: <topic>${topic}</topic>`)).split('\n').slice(0, 3),
    peerGetStatistics: (topic: string) => ask(`Provide 3 key statistics about: <topic>${topic}</topic>`),
    // Worded so the stand-in answers it as it answers our writer (same article, same tokens).
    peerWriteArticle: (topic: string, context: string) =>
      ask(`Write an article of about 500 words about <topic>${topic}</topic> using:\n${context}`),
  };
}

export type PeerActivities = ReturnType<typeof createPeerActivities>;
