/**
 * The baseline of figure 4: a workflow that does nothing but wait for one signal and return.
 * Signal → resumed → completed, seen by the client, is the least any click can cost.
 */
import { condition, defineSignal, setHandler } from '@temporalio/workflow';

export const releaseSignal = defineSignal('release');

export async function bareSignalWorkflow(): Promise<void> {
  let released = false;
  setHandler(releaseSignal, () => {
    released = true;
  });
  await condition(() => released);
}
