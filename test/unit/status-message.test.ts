import { describe, expect, it } from 'vitest';
import type { ActionsBlock, Button, ContextBlock, KnownBlock, SectionBlock } from '@slack/types';
import { statusMessage, stepLine } from '../../src/slack/blocks/status.js';
import { CANCEL_ACTION_ID } from '../../src/slack/blocks/pipeline.js';
import { STEP_LABELS, type RunState, type StatusView, type StepView } from '../../src/shared/progress.js';

const WORKFLOW_ID = 'research-durable-execution-20240305-k3x9q0';

const steps: StepView[] = [
  { key: 'researchTopic', label: STEP_LABELS.researchTopic, state: 'done', tokens: 1_234, costUsd: 0.00123, durationMs: 3_000 },
  { key: 'findExamples', label: STEP_LABELS.findExamples, state: 'done', tokens: 980, unpriced: true, durationMs: 2_400 },
  { key: 'getStatistics', label: STEP_LABELS.getStatistics, state: 'running', durationMs: 12_000 },
  { key: 'writeArticle', label: STEP_LABELS.writeArticle, state: 'pending' },
  { key: 'review', label: STEP_LABELS.review, state: 'skipped' },
];

const view: StatusView = {
  workflowId: WORKFLOW_ID,
  topic: 'Durable execution for AI agents',
  state: 'running',
  steps,
  totalTokens: 12_345,
  totalCostUsd: 0.0123456,
  unpricedSteps: [],
  budgetUsd: 0.5,
  elapsedMs: 65_000,
  headline: 'Researching: key facts, examples and statistics in parallel',
};

function sections(blocks: KnownBlock[]): SectionBlock[] {
  return blocks.filter((b): b is SectionBlock => b.type === 'section');
}

function contextText(blocks: KnownBlock[]): string {
  const context = blocks.filter((b): b is ContextBlock => b.type === 'context');
  expect(context).toHaveLength(1);
  return (context[0]!.elements[0] as { text: string }).text;
}

function stepLines(blocks: KnownBlock[]): string[] {
  return sections(blocks)[1]!.text!.text.split('\n');
}

function actions(blocks: KnownBlock[]): ActionsBlock[] {
  return blocks.filter((b): b is ActionsBlock => b.type === 'actions');
}

describe('stepLine', () => {
  it('shows a pending step with a white circle and nothing else, even if a duration is known', () => {
    expect(stepLine({ key: 'writeArticle', label: 'Writing the article', state: 'pending', durationMs: 5_000 })).toBe(':white_circle: *Writing the article*');
  });

  it('shows a running step with an hourglass, its time so far and "running…"', () => {
    expect(stepLine({ key: 'getStatistics', label: 'Statistics', state: 'running', durationMs: 12_000 })).toBe(
      ':hourglass_flowing_sand: *Statistics* · 12s · running…',
    );
    expect(stepLine({ key: 'getStatistics', label: 'Statistics', state: 'running' })).toBe(':hourglass_flowing_sand: *Statistics* · running…');
  });

  it('shows a running step’s note instead of "running…"', () => {
    expect(stepLine({ key: 'review', label: 'Review', state: 'running', note: 'v2 waiting for a reviewer' })).toBe(
      ':hourglass_flowing_sand: *Review* · v2 waiting for a reviewer',
    );
  });

  it('shows a done step with a check mark, tokens, cost and duration', () => {
    expect(stepLine({ key: 'researchTopic', label: 'Key facts', state: 'done', tokens: 1_234, costUsd: 0.00123, durationMs: 3_000 })).toBe(
      ':white_check_mark: *Key facts* · 1,234 tokens · $0.0012 · 3s',
    );
  });

  it('says "cost unknown" for a step whose model has no price', () => {
    expect(stepLine({ key: 'findExamples', label: 'Real-world examples', state: 'done', tokens: 980, unpriced: true, durationMs: 2_400 })).toBe(
      ':white_check_mark: *Real-world examples* · 980 tokens · cost unknown · 2s',
    );
  });

  it('shows a failed step with a cross and its note', () => {
    expect(stepLine({ key: 'writeArticle', label: 'Writing the article', state: 'failed', durationMs: 61_000, note: 'rate limited' })).toBe(
      ':x: *Writing the article* · 1m 01s · rate limited',
    );
  });

  it('shows a skipped step with a dash', () => {
    expect(stepLine({ key: 'review', label: 'Review', state: 'skipped' })).toBe(':heavy_minus_sign: *Review*');
  });
});

describe('statusMessage', () => {
  it('leaves out the steps section when there are no steps yet (Slack refuses a section with empty text)', () => {
    const message = statusMessage({ ...view, steps: [] });
    for (const block of message.blocks) {
      if (block.type === 'section') expect((block as SectionBlock).text?.text.length).toBeGreaterThan(0);
    }
    expect(message.blocks.map((b) => b.type)).toEqual(['section', 'context', 'actions']);
  });

  it('has a title with the run state and the topic', () => {
    const titles: Record<RunState, string> = {
      running: ':arrows_counterclockwise: *Pipeline running*',
      waiting: ':double_vertical_bar: *Pipeline waiting for you*',
      completed: ':white_check_mark: *Pipeline finished*',
      stopped: ':octagonal_sign: *Pipeline stopped*',
      failed: ':x: *Pipeline failed*',
    };
    for (const [state, title] of Object.entries(titles) as [RunState, string][]) {
      const message = statusMessage({ ...view, state });
      expect(sections(message.blocks)[0]!.text!.text).toBe(`${title} · Durable execution for AI agents`);
    }
  });

  it('escapes the topic and cuts it to 150 characters', () => {
    const escaped = statusMessage({ ...view, topic: '<!channel> & <@U999>' });
    expect(sections(escaped.blocks)[0]!.text!.text).toBe(':arrows_counterclockwise: *Pipeline running* · &lt;!channel&gt; &amp; &lt;@U999&gt;');
    const long = statusMessage({ ...view, topic: 't'.repeat(400) });
    const shown = sections(long.blocks)[0]!.text!.text.split(' · ')[1]!;
    expect([...shown].length).toBe(150);
    expect(shown.endsWith('…')).toBe(true);
  });

  it('shows one line per step, in order, with the icon of its state', () => {
    const lines = stepLines(statusMessage(view).blocks);
    expect(lines).toEqual([
      ':white_check_mark: *Key facts* · 1,234 tokens · $0.0012 · 3s',
      ':white_check_mark: *Real-world examples* · 980 tokens · cost unknown · 2s',
      ':hourglass_flowing_sand: *Statistics* · 12s · running…',
      ':white_circle: *Writing the article*',
      ':heavy_minus_sign: *Review*',
    ]);
  });

  it('shows the failed icon on a failed step', () => {
    const failed = statusMessage({
      ...view,
      state: 'failed',
      steps: [{ key: 'writeArticle', label: STEP_LABELS.writeArticle, state: 'failed', durationMs: 1_000 }],
    });
    expect(stepLines(failed.blocks)).toEqual([':x: *Writing the article* · 1s']);
  });

  it('shows the headline, "Total so far" with tokens, cost, budget and elapsed time while running', () => {
    expect(contextText(statusMessage(view).blocks)).toBe(
      'Researching: key facts, examples and statistics in parallel\nTotal so far: 12,345 tokens · $0.0123 of $0.50 budget · elapsed 1m 05s',
    );
  });

  it('says "Total so far" while waiting too', () => {
    expect(contextText(statusMessage({ ...view, state: 'waiting' }).blocks)).toContain('\nTotal so far: ');
  });

  it('says "Total" once the run has ended', () => {
    for (const state of ['completed', 'stopped', 'failed'] as const) {
      const text = contextText(statusMessage({ ...view, state }).blocks);
      expect(text).toContain('\nTotal: 12,345 tokens');
      expect(text).not.toContain('so far');
    }
  });

  it('names the steps whose cost is unknown in the total', () => {
    const text = contextText(statusMessage({ ...view, unpricedSteps: ['Real-world examples', 'Writing the article'] }).blocks);
    expect(text).toContain('Total so far: 12,345 tokens · $0.0123 + cost unknown for Real-world examples, Writing the article of $0.50 budget');
  });

  it('formats the budget with two decimals, or four below a cent', () => {
    const budget = (budgetUsd: number) => /of (\S+) budget/.exec(contextText(statusMessage({ ...view, budgetUsd }).blocks))![1];
    expect(budget(0.5)).toBe('$0.50');
    expect(budget(2)).toBe('$2.00');
    expect(budget(12.5)).toBe('$12.50');
    expect(budget(0.005)).toBe('$0.0050');
    expect(budget(0)).toBe('$0.00');
  });

  it('cuts a very long headline to 500 characters', () => {
    const text = contextText(statusMessage({ ...view, headline: 'h'.repeat(2_000) }).blocks);
    const headline = text.split('\n')[0]!;
    expect([...headline].length).toBe(500);
    expect(headline.endsWith('…')).toBe(true);
  });

  it('offers a Cancel pipeline button carrying the workflow ID while running or waiting', () => {
    for (const state of ['running', 'waiting'] as const) {
      const message = statusMessage({ ...view, state });
      const [block, ...others] = actions(message.blocks);
      expect(others).toHaveLength(0);
      expect(message.blocks.at(-1)).toBe(block);
      expect(block!.elements).toHaveLength(1);
      const button = block!.elements[0] as Button;
      expect(button.type).toBe('button');
      expect(button.action_id).toBe(CANCEL_ACTION_ID);
      expect(button.action_id).toBe('cancel_pipeline');
      expect(button.value).toBe(WORKFLOW_ID);
      expect(button.text.text).toBe('Cancel pipeline');
    }
  });

  it('offers no button once the run has ended', () => {
    for (const state of ['completed', 'stopped', 'failed'] as const) {
      const message = statusMessage({ ...view, state });
      expect(actions(message.blocks)).toHaveLength(0);
      expect(message.blocks.map((b) => b.type)).toEqual(['section', 'section', 'context']);
    }
  });

  it('has a fallback text with the state, tokens and cost', () => {
    expect(statusMessage(view).text).toBe('Pipeline status: running · 12,345 tokens · $0.0123');
    expect(statusMessage({ ...view, state: 'completed', totalTokens: 0, totalCostUsd: 0 }).text).toBe('Pipeline status: completed · 0 tokens · $0.0000');
  });
});
