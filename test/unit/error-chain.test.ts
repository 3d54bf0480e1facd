import { describe, expect, it } from 'vitest';
import { errorChain } from '../../src/shared/error-chain.js';

describe('errorChain', () => {
  it('puts an error and its causes on one line', () => {
    const grpc = Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded after 1.5s'), { code: 4 });
    const error = new Error('Failed to signal Workflow', { cause: grpc });
    expect(errorChain(error)).toBe('Error: Failed to signal Workflow ← Error: 4 DEADLINE_EXCEEDED: Deadline exceeded after 1.5s');
  });

  it('handles non-errors and stops at a depth limit', () => {
    expect(errorChain('plain')).toBe('plain');
    let deep: Error = new Error('0');
    for (let i = 1; i < 10; i += 1) deep = new Error(String(i), { cause: deep });
    expect(errorChain(deep, 3)).toBe('Error: 9 ← Error: 8 ← Error: 7');
  });
});
