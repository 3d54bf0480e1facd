/** The stand-in Slack lives in src/stand-ins/slack (the playground serves it too); re-exported for the tests. */
export * from '../../src/stand-ins/slack/index.js';
