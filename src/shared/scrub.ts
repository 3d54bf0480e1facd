/**
 * Error text made fit to show in Slack (thread notices, failure replies, ephemeral answers, App
 * Home): whatever a provider, Slack's API or Temporal put in an error message may name hosts, IP
 * addresses, URLs, ports, file paths and credentials, and a thread or a Home tab is read by people
 * who should learn none of those. The scrubber replaces them with a word in brackets and keeps the
 * rest (the kind of error, Slack's error code, the status) so the message still says what went
 * wrong. The full text stays where operators look: the Temporal UI and the logs.
 *
 * Pure (no I/O, no clock): workflow code may use it too.
 */

/** Where the full text is, for a message that shows only the scrubbed one. */
export const DETAILS_ELSEWHERE = "details are in the Temporal UI and the bot's logs";

/** Top-level domains that mark a dotted word as a host name (not `chat.postMessage`, `e.g.` or `index.ts`). */
const TLDS = [
  'com', 'net', 'org', 'io', 'dev', 'app', 'cloud', 'ai', 'co', 'us', 'uk', 'de', 'fr', 'eu', 'ca', 'au', 'jp', 'in', 'nl',
  'internal', 'local', 'localdomain', 'lan', 'corp', 'home', 'svc', 'cluster', 'example', 'test', 'invalid', 'aws', 'gcp', 'azure',
].join('|');

type Rule = [pattern: RegExp, replacement: string | ((match: string, ...groups: string[]) => string)];

const RULES: Rule[] = [
  // Credentials first, so no later rule leaves part of one behind.
  [/\bxox[a-z]-[A-Za-z0-9-]+/gi, '[token]'], // Slack bot, user and legacy tokens
  [/\bxapp-[A-Za-z0-9-]+/gi, '[token]'], // Slack app-level tokens
  [/\bsk-[\w*-]{6,}/g, '[token]'], // OpenAI keys (sk-…, sk-proj-…), also as a 401 shows them (sk-***…ZXY)
  [/\beyJ[\w-]+\.[\w-]+\.[\w-]+/g, '[token]'], // JWTs (Temporal Cloud API keys)
  [/\b(bearer|basic)\s+[\w.~+/=-]+/gi, (_m, scheme: string) => `${scheme} [token]`],
  [/\b(api[_-]?key|access[_-]?token|token|secret|password|authorization)(\s*[=:]\s*)[^\s,;)]+/gi, (_m, name: string, sep: string) => `${name}${sep}[token]`],
  // URLs of any scheme (https://…, grpc://…, file:///…).
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s<>"'`]+/gi, (match) => `[url]${/[.,;:!?)\]]*$/.exec(match)![0]}`], // keeps the sentence's punctuation
  // File paths: Windows, home- or dot-relative, and absolute ones of two or more segments
  // (so a lone `/research` is left alone).
  [/\b[A-Za-z]:\\[^\s"'<>]+/g, '[path]'],
  [/(?<![\w/:.])(?:~|\.{1,2})(?:\/[\w.@+-]+)+\/?/g, '[path]'],
  [/(?<![\w/:.\]])(?:\/[\w.@+-]+){2,}\/?/g, '[path]'],
  // Relative paths of two or more segments ending in a file name (data/kb/chunks.lance, kb\chunks.lance).
  [/(?<![\w/\\:.\]])[\w.@+-]+(?:[\\/][\w.@+-]+)+\.[A-Za-z][\w]{0,7}\b/g, '[path]'],
  // IPv6, bracketed (with its port) or bare; a bare one needs `::` or all eight groups, so a time such as 12:30:45 stays.
  [/\[[0-9a-f:.]*:[0-9a-f:.]*\](?::\d{1,5})?/gi, '[address]'],
  [/(?<![\w:.])(?:[0-9a-f]{0,4}:){2,8}(?:(?:\d{1,3}\.){3}\d{1,3}|[0-9a-f]{1,4})?(?:%\w+)?(?![\w:])/gi, (match) =>
    match.includes('::') || match.split(':').length >= 8 ? '[address]' : match],
  // IPv4, with its port.
  [/\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b/g, '[address]'],
  // A host name Node could not resolve (getaddrinfo ENOTFOUND temporal).
  [/\b(ENOTFOUND|EAI_AGAIN)\s+[^\s,;)]+/g, (_m, code: string) => `${code} [host]`],
  // host:port (temporal:7233, localhost:7233), then dotted host names and localhost.
  [/\b[a-z][\w-]*(?:\.[\w-]+)*:\d{2,5}\b/gi, '[host]'],
  [new RegExp(String.raw`\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:${TLDS})\b(?::\d{1,5})?`, 'gi'), '[host]'],
  // Any other name of three or more dotted labels ending in a letter (temporal.acmecorp.xyz): a
  // host whose ending the list above lacks. Version numbers (1.2.3) end in a digit and stay.
  [/\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.){2,}[a-z][a-z0-9-]*\b/gi, '[host]'],
  [/\blocalhost\b/gi, '[host]'],
];

/**
 * The text with hosts, IP addresses, URLs, ports, file paths and tokens replaced by `[host]`,
 * `[address]`, `[url]`, `[path]` and `[token]`.
 */
export function scrubDetails(text: string): string {
  let scrubbed = text;
  for (const [pattern, replacement] of RULES) {
    scrubbed = typeof replacement === 'string' ? scrubbed.replace(pattern, replacement) : scrubbed.replace(pattern, replacement);
  }
  return scrubbed;
}
