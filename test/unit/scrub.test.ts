import { describe, expect, it } from 'vitest';
import { scrubDetails } from '../../src/shared/scrub.js';
import { failureMessage } from '../../src/slack/blocks/outcome.js';
import type { UsageSummary } from '../../src/workflows/messages.js';

describe('scrubDetails: error text fit for Slack', () => {
  it('hides IPv4 addresses with their ports, and what grpc-js says about the peer', () => {
    const text = scrubDetails('14 UNAVAILABLE: connect ECONNREFUSED 127.0.0.1:7233 (remote_addr=10.0.0.5:7233)');
    expect(text).toBe('14 UNAVAILABLE: connect ECONNREFUSED [address] (remote_addr=[address])');
  });

  it('hides IPv6 addresses: compressed, bracketed with a port, full; a time of day stays', () => {
    expect(scrubDetails('connect ECONNREFUSED ::1:7233')).toBe('connect ECONNREFUSED [address]');
    expect(scrubDetails('dial [2001:db8::1]:7233 failed')).toBe('dial [address] failed');
    expect(scrubDetails('via fe80::1ff:fe23:4567:890a now')).toBe('via [address] now');
    expect(scrubDetails('to 2001:0db8:85a3:0000:0000:8a2e:0370:7334.')).toBe('to [address].');
    expect(scrubDetails('at 12:30:45 it failed')).toBe('at 12:30:45 it failed');
  });

  it('hides relative paths ending in a file name, and dotted host names whatever their ending', () => {
    expect(scrubDetails('Failed to open data/kb/chunks.lance: denied')).toBe('Failed to open [path]: denied');
    expect(scrubDetails('cannot read kb\\chunks.lance')).toBe('cannot read [path]');
    expect(scrubDetails('dial temporal.acmecorp.xyz failed')).toBe('dial [host] failed');
    expect(scrubDetails('SDK 1.24.0 refused it')).toBe('SDK 1.24.0 refused it');
    expect(scrubDetails('and/or it failed')).toBe('and/or it failed');
  });

  it('hides URLs of any scheme', () => {
    expect(scrubDetails('POST https://api.openai.com/v1/chat/completions?x=1 failed')).toBe('POST [url] failed');
    expect(scrubDetails('endpoint grpc://temporal.internal:7233 down')).toBe('endpoint [url] down');
    expect(scrubDetails('see file:///srv/kb/a.md')).toBe('see [url]');
    expect(scrubDetails('(at https://x.example.com/a, then http://10.0.0.1/b).')).toBe('(at [url], then [url]).');
  });

  it('hides host names and host:port, keeps Slack method names and abbreviations', () => {
    expect(scrubDetails('getaddrinfo ENOTFOUND temporal')).toBe('getaddrinfo ENOTFOUND [host]');
    expect(scrubDetails('dial temporal:7233 and localhost')).toBe('dial [host] and [host]');
    expect(scrubDetails('no route to my-ns.a1b2c.tmprl.cloud')).toBe('no route to [host]');
    expect(scrubDetails('resolving temporal-frontend.temporal.svc.cluster.local')).toBe('resolving [host]');
    expect(scrubDetails('Slack chat.postMessage failed (e.g. not_in_channel)')).toBe('Slack chat.postMessage failed (e.g. not_in_channel)');
  });

  it('hides tokens and keys: Slack, OpenAI, bearer, JWT, key=value', () => {
    expect(scrubDetails('invalid_auth for xoxb-1234-5678-AbCdEf and xapp-1-A0-123-abc')).toBe('invalid_auth for [token] and [token]');
    expect(scrubDetails('Incorrect API key provided: sk-proj-AbC123dEf456')).toBe('Incorrect API key provided: [token]');
    expect(scrubDetails('Incorrect API key provided: sk-*********************************ZXY. You can find your API key at https://platform.openai.com/api-keys'))
      .toBe('Incorrect API key provided: [token]. You can find your API key at [url]');
    expect(scrubDetails('header bearer abc.DEF-123_x')).toBe('header bearer [token]');
    expect(scrubDetails('jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl here')).toBe('jwt [token] here');
    expect(scrubDetails('api_key=abcdef123, password: hunter2')).toBe('api_key=[token], password: [token]');
    expect(scrubDetails('xoxp-1-2-3')).not.toContain('xoxp');
  });

  it('hides file paths (POSIX, home-relative, Windows), keeps a slash command', () => {
    expect(scrubDetails("ENOENT: no such file or directory, open '/home/alice/kb/plan.md'")).toBe("ENOENT: no such file or directory, open '[path]'");
    expect(scrubDetails('at ~/.kb/chunks and ./docs/a.md')).toBe('at [path] and [path]');
    expect(scrubDetails('open C:\\Users\\bob\\plan.txt failed')).toBe('open [path] failed');
    expect(scrubDetails('try /research publish again')).toBe('try /research publish again');
  });

  it('keeps what the person needs: the kind of error, Slack error codes, status codes', () => {
    const text = '429 RateLimitError: You exceeded your current quota (insufficient_quota)';
    expect(scrubDetails(text)).toBe(text);
    expect(scrubDetails('An API error occurred: channel_not_found')).toBe('An API error occurred: channel_not_found');
  });
});

describe('where error text reaches Slack', () => {
  it('the failure reply shows the scrubbed error and says where the details are', () => {
    const message = failureMessage({
      step: 'Research',
      explanation: 'The model provider could not be reached.',
      detail: 'LlmConnectionError: Connection error: connect ECONNREFUSED 10.0.0.7:443 (https://llm.corp.internal/v1, key sk-live-AbCdEf123456)',
      usage: { totalTokens: 0, costUsd: 0, steps: [], unpricedSteps: [] } as unknown as UsageSummary,
      budgetUsd: 1,
      workflowUrl: 'http://localhost:8233/namespaces/default/workflows/research-x-20261203-abc123',
    });
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('LlmConnectionError: Connection error: connect ECONNREFUSED [address] ([url], key [token])');
    expect(text).toContain("details in Temporal UI> and the bot's logs");
    expect(text).not.toMatch(/10\.0\.0\.7|corp\.internal|sk-live/);
  });
});
