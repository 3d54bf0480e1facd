/**
 * Parses the text of `/research …` into what the user asked for. Pure, so it is tested on its own.
 */
export type ResearchCommand =
  | { kind: 'start'; topic: string }
  | { kind: 'help' }
  | { kind: 'invalid'; reason: 'empty' | 'too-long'; limit: number };

export const DEFAULT_MAX_TOPIC_LENGTH = 200;

export function parseResearchCommand(text: string | undefined, maxLength = DEFAULT_MAX_TOPIC_LENGTH): ResearchCommand {
  const topic = (text ?? '').replace(/\s+/g, ' ').trim();
  if (!topic) return { kind: 'invalid', reason: 'empty', limit: maxLength };
  if (topic.toLowerCase() === 'help') return { kind: 'help' };
  if ([...topic].length > maxLength) return { kind: 'invalid', reason: 'too-long', limit: maxLength };
  return { kind: 'start', topic };
}
