/**
 * A dev server is never "started" on a port another server holds: the readiness probe would reach
 * that server and the caller would run its workers there (another `npm start`'s, say). Here the
 * suite's own Temporal server holds the port.
 */
import { describe, expect, inject, it } from 'vitest';
import { startDevServer } from '../../src/temporal/dev-server.js';

describe('startDevServer on a port in use', () => {
  it('refuses, naming the port and the settings that fix it, instead of attaching to the server there', async () => {
    const port = Number(inject('temporalAddress').split(':').pop());
    const attempt = startDevServer({ cliPath: inject('temporalCliPath'), port, headless: true, logLevel: 'error' });
    await expect(attempt).rejects.toThrow(`Port ${port} is in use`);
    await expect(attempt).rejects.toThrow(`TEMPORAL_ADDRESS=127.0.0.1:${port}`);
    await expect(attempt).rejects.toThrow('TEMPORAL_DEV_SERVER_PORT');
  });
});
