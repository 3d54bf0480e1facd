import { describe, expect, it } from 'vitest';
import { SAMPLE_NOTE, sampleAnswer } from '../../src/playground/sample-writer.js';
import { articlePrompt, examplesPrompt, keyFactsPrompt, revisionPrompt, statisticsPrompt } from '../../src/shared/prompts.js';
import { classify } from '../../src/stand-ins/openai.js';

const research = { facts: '- a fact', examples: [{ title: 'T', description: 'D' }], statistics: '1. 42%' };

describe('the playground sample writer', () => {
  const prompts = {
    researchTopic: keyFactsPrompt('durable execution').user,
    findExamples: examplesPrompt('durable execution').user,
    getStatistics: statisticsPrompt('durable execution').user,
    writeArticle: articlePrompt('durable execution', research).user,
    reviseArticle: revisionPrompt('durable execution', research, '# Draft', 'Add an example from healthcare').user,
  } as const;

  it('answers each step of our prompts (as the stand-in classifies them), saying it is a sample', () => {
    for (const [step, prompt] of Object.entries(prompts)) {
      expect(classify({ model: 'm', messages: [{ role: 'user', content: prompt }] })).toBe(step);
      expect(sampleAnswer(step as keyof typeof prompts, prompt)).toContain(SAMPLE_NOTE);
    }
  });

  it('is deterministic and about the topic', () => {
    expect(sampleAnswer('writeArticle', prompts.writeArticle)).toBe(sampleAnswer('writeArticle', prompts.writeArticle));
    expect(sampleAnswer('writeArticle', prompts.writeArticle)).toMatch(/^# Durable Execution/);
  });

  it('gives exactly three examples in the structured-output shape', () => {
    // The strict schema findExamples asks for: three named properties (src/activities/llm.ts).
    const parsed = JSON.parse(sampleAnswer('findExamples', prompts.findExamples)) as Record<string, { title: string; description: string }>;
    expect(Object.keys(parsed)).toEqual(['first_example', 'second_example', 'third_example']);
    for (const example of Object.values(parsed)) expect(example.title && example.description).toBeTruthy();
  });

  it("quotes the editor's feedback in a revision, not the prompt's instructions about it", () => {
    const revised = sampleAnswer('reviseArticle', prompts.reviseArticle);
    expect(revised).toContain('“Add an example from healthcare”');
    expect(revised).not.toContain('tags is');
  });
});
