import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';

/** Asserts an ApplicationFailure's type and retry behaviour in one place. */
export function expectFailure(
  failure: ApplicationFailure,
  expected: { type: string; nonRetryable: boolean; nextRetryDelay?: number },
): void {
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure.type).toBe(expected.type);
  expect(failure.nonRetryable).toBe(expected.nonRetryable);
  expect(failure.nextRetryDelay).toBe(expected.nextRetryDelay);
}
