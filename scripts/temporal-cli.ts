/**
 * `npm run temporal:cli`: makes sure a Temporal CLI is available and prints its path.
 * Used by `npm test` and `.ci/run` before anything needs a server.
 */
import { ensureTemporalCli } from '../src/temporal/cli.js';

try {
  const cli = await ensureTemporalCli({ env: process.env });
  process.stdout.write(`${cli}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
