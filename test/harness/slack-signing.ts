/** The request builders moved to src/stand-ins/slack-requests.ts (the playground uses them at runtime). */
export * from '../../src/stand-ins/slack-requests.js';
