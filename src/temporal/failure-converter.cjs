'use strict';
/**
 * The failure converter of every worker, workflow bundle and client (see codec.ts). With
 * `encodeCommonAttributes`, a failure's message and stack trace travel inside an encoded payload,
 * which the payload codec encrypts like any other, so the server's history keeps no error text
 * (a model's refusal quoting the draft, a Slack error naming a channel). A plain CommonJS file
 * because Temporal `require()`s it by path in the worker and webpack bundles it into the workflow
 * sandbox, under tsx, under vitest and compiled alike.
 */
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
