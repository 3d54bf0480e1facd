import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

/** `npm run record-histories`: only the history recorder (see test/record/). */
export default defineConfig({ test: { ...base.test, include: ['test/record/**/*.record.ts'] } });
