import { SearchAttributeType } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { SEARCH_ATTRIBUTE_FLAGS, SEARCH_ATTRIBUTES, stageAttributeValue } from '../../src/workflows/search-attributes.js';

describe('search attributes', () => {
  it('turns stages into the values operators query with', () => {
    expect(stageAttributeValue('awaiting-review')).toBe('AwaitingReview');
    expect(stageAttributeValue('awaiting-budget')).toBe('AwaitingBudget');
    expect(stageAttributeValue('starting')).toBe('Starting');
    expect(stageAttributeValue('recording-decision')).toBe('RecordingDecision');
  });

  it('registers on the dev server exactly the attributes the code sets', () => {
    expect(SEARCH_ATTRIBUTE_FLAGS.map((flag) => flag.split('=')[0])).toEqual(SEARCH_ATTRIBUTES.map((key) => key.name));
  });

  it('holds no text: search attributes are stored and indexed in plain text, outside the payload codec', () => {
    expect(SEARCH_ATTRIBUTES.map((key) => key.name)).not.toContain('Topic');
    expect(SEARCH_ATTRIBUTES.filter((key) => (key.type as string) === SearchAttributeType.TEXT)).toEqual([]);
    expect(SEARCH_ATTRIBUTE_FLAGS.filter((flag) => flag.endsWith('=Text'))).toEqual([]);
  });

  it('registers PayloadKey, the key a run was started under, as a keyword', () => {
    expect(SEARCH_ATTRIBUTE_FLAGS).toContain('PayloadKey=Keyword');
  });
});
