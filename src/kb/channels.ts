/**
 * Which conversations a collection of documents may answer in. A collection is bound to a list of
 * Slack conversation IDs, to every conversation (`--everywhere`, said explicitly), or to none (an
 * index built before collections existed: it answers nowhere until bound).
 *
 * On each chunk row the binding is one string column, so retrieval filters inside the vector
 * search (a LanceDB prefilter, before similarity): `,C123,C456,` for a list, `*` for everywhere,
 * '' for nowhere. Only IDs matching CONVERSATION_ID ever reach a filter, so the delimiters make the
 * match exact (`,C12,` never matches `,C123,`) and nothing a person types reaches the SQL.
 */

/** Slack conversation IDs: C… public or private channel, G… older private channel or group DM, D… DM. */
export const CONVERSATION_ID = /^[CDG][A-Z0-9]{2,20}$/;

export const EVERYWHERE = '*';

export type Binding = { everywhere: true } | { everywhere: false; channels: string[] };

export function isConversationId(value: string): boolean {
  return CONVERSATION_ID.test(value);
}

/** The column value of a binding (channels sorted and deduplicated, so equal bindings compare equal). */
export function encodeBinding(binding: Binding): string {
  if (binding.everywhere) return EVERYWHERE;
  const ids = [...new Set(binding.channels)].sort();
  for (const id of ids) if (!isConversationId(id)) throw new Error(`${id} is not a Slack conversation ID`);
  return ids.length ? `,${ids.join(',')},` : '';
}

export function decodeBinding(value: string | null | undefined): Binding {
  if (value === EVERYWHERE) return { everywhere: true };
  return { everywhere: false, channels: (value ?? '').split(',').filter(isConversationId) };
}

/** "everywhere", "C123, C456" or "no conversation (answers nowhere)". */
export function describeBinding(binding: Binding): string {
  if (binding.everywhere) return 'everywhere';
  return binding.channels.length ? binding.channels.join(', ') : 'no conversation (answers nowhere)';
}

/** True when a collection with this binding may answer in `channel`. */
export function bindingAllows(binding: Binding, channel: string): boolean {
  return binding.everywhere || binding.channels.includes(channel);
}

/**
 * The LanceDB filter for rows a conversation may see. Throws on anything but a conversation ID:
 * a caller that has no valid channel must not search at all.
 */
export function channelFilter(channel: string, column = 'channels'): string {
  if (!isConversationId(channel)) throw new Error('Not a Slack conversation ID: no documents may be searched');
  return `(${column} = '${EVERYWHERE}' OR ${column} LIKE '%,${channel},%')`;
}

/**
 * What to run to bind the documents indexed before collections existed (said by the CLI, in the
 * bot's log at startup and in `/research kb`). With a channel, the command names it.
 */
export function legacyBindHint(channel?: string): string {
  const id = channel && isConversationId(channel) ? channel : '<channel ID>';
  return `Documents indexed before collections existed answer in no conversation until they are bound: ` +
    `npm run kb -- bind legacy --channel ${id} (repeat --channel for more conversations, or use --everywhere), ` +
    `or add their folder again with --channel (embedded again) and then npm run kb -- remove legacy.`;
}
