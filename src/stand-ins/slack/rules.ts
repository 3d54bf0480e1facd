/**
 * What real Slack refuses, so the stand-in refuses it too (never more lenient). Each rule cites the
 * page that documents it. Lengths are counted in characters (code points).
 */

export interface Refusal {
  error: string;
  /** Slack's detail lines, as in `response_metadata.messages` of an `invalid_blocks` answer. */
  messages: string[];
}

const chars = (text: string) => [...text].length;

type Block = Record<string, unknown>;
type TextObject = { type?: string; text?: unknown } | undefined;

function textOf(value: unknown): string {
  const text = (value as TextObject)?.text;
  return typeof text === 'string' ? text : '';
}

/**
 * Block Kit limits, https://docs.slack.dev/reference/block-kit/blocks (section, header, context,
 * actions, input, markdown) and https://docs.slack.dev/reference/block-kit/block-elements/button-element.
 */
export function blockProblems(blocks: Block[], surface: 'message' | 'modal'): string[] {
  const problems: string[] = [];
  // "You can include up to 50 blocks in each message, and 100 blocks in modals or Home tabs."
  // https://docs.slack.dev/reference/block-kit/blocks
  const maxBlocks = surface === 'message' ? 50 : 100;
  if (blocks.length > maxBlocks) problems.push(`[ERROR] no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  const blockIds = new Set<string>();
  let markdownTotal = 0;
  blocks.forEach((block, index) => {
    const at = `[json-pointer:/blocks/${index}`;
    const blockId = block.block_id;
    if (typeof blockId === 'string') {
      // block_id: "Maximum length for this field is 255 characters. … should be unique for each message"
      if (chars(blockId) > 255) problems.push(`[ERROR] must be less than 256 characters ${at}/block_id]`);
      if (blockIds.has(blockId)) problems.push(`[ERROR] duplicate block_id ${at}/block_id]`);
      blockIds.add(blockId);
    }
    switch (block.type) {
      case 'section': {
        // https://docs.slack.dev/reference/block-kit/blocks/section-block: text 1–3,000; fields ≤ 10, each ≤ 2,000.
        const text = textOf(block.text);
        if (block.text !== undefined && (chars(text) > 3000 || chars(text) < 1)) problems.push(`[ERROR] must be between 1 and 3000 characters ${at}/text/text]`);
        const fields = (block.fields as unknown[] | undefined) ?? [];
        if (fields.length > 10) problems.push(`[ERROR] no more than 10 items allowed ${at}/fields]`);
        fields.forEach((field, i) => {
          if (chars(textOf(field)) > 2000) problems.push(`[ERROR] must be less than 2001 characters ${at}/fields/${i}/text]`);
        });
        if (block.text === undefined && fields.length === 0) problems.push(`[ERROR] must provide text or fields ${at}]`);
        break;
      }
      case 'header':
        // https://docs.slack.dev/reference/block-kit/blocks/header-block: plain_text, max 150 characters.
        if (chars(textOf(block.text)) > 150) problems.push(`[ERROR] must be less than 151 characters ${at}/text/text]`);
        if ((block.text as TextObject)?.type !== 'plain_text') problems.push(`[ERROR] must be plain_text ${at}/text/type]`);
        break;
      case 'context':
        // https://docs.slack.dev/reference/block-kit/blocks/context-block: max 10 elements.
        if (((block.elements as unknown[]) ?? []).length > 10) problems.push(`[ERROR] no more than 10 items allowed ${at}/elements]`);
        ((block.elements as unknown[]) ?? []).forEach((element, i) => {
          if (chars(textOf({ text: (element as { text?: unknown }).text })) > 3000) problems.push(`[ERROR] must be less than 3001 characters ${at}/elements/${i}/text]`);
        });
        break;
      case 'actions': {
        // https://docs.slack.dev/reference/block-kit/blocks/actions-block: max 25 elements; action_id unique.
        const elements = (block.elements as Block[]) ?? [];
        if (elements.length > 25) problems.push(`[ERROR] no more than 25 items allowed ${at}/elements]`);
        const actionIds = new Set<string>();
        elements.forEach((element, i) => {
          problems.push(...elementProblems(element, `${at}/elements/${i}`));
          const actionId = element.action_id;
          if (typeof actionId === 'string') {
            if (actionIds.has(actionId)) problems.push(`[ERROR] duplicate action_id ${at}/elements/${i}/action_id]`);
            actionIds.add(actionId);
          }
        });
        break;
      }
      case 'input': {
        // https://docs.slack.dev/reference/block-kit/blocks/input-block: label ≤ 2,000 characters.
        if (chars(textOf(block.label)) > 2000) problems.push(`[ERROR] must be less than 2001 characters ${at}/label/text]`);
        const element = block.element as Block | undefined;
        if (element) problems.push(...elementProblems(element, `${at}/element`));
        break;
      }
      case 'markdown':
        // https://docs.slack.dev/reference/block-kit/blocks/markdown-block: "only supported in messages";
        // "The cumulative limit for all markdown blocks in a single payload is 12,000 characters."
        if (surface !== 'message') problems.push(`[ERROR] markdown blocks are only supported in messages ${at}]`);
        markdownTotal += chars(typeof block.text === 'string' ? block.text : '');
        break;
      default:
        break;
    }
  });
  if (markdownTotal > 12_000) problems.push(`[ERROR] markdown blocks total more than 12000 characters [json-pointer:/blocks]`);
  return problems;
}

function elementProblems(element: Block, at: string): string[] {
  const problems: string[] = [];
  if (typeof element.action_id === 'string' && chars(element.action_id) > 255) problems.push(`[ERROR] must be less than 256 characters ${at}/action_id]`);
  if (element.type === 'button') {
    // https://docs.slack.dev/reference/block-kit/block-elements/button-element: text ≤ 75, value ≤ 2,000, url ≤ 3,000.
    if (chars(textOf(element.text)) > 75) problems.push(`[ERROR] must be less than 76 characters ${at}/text/text]`);
    if (typeof element.value === 'string' && chars(element.value) > 2000) problems.push(`[ERROR] must be less than 2001 characters ${at}/value]`);
    if (typeof element.url === 'string' && chars(element.url) > 3000) problems.push(`[ERROR] must be less than 3001 characters ${at}/url]`);
  }
  if (element.type === 'plain_text_input') {
    // https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element: max_length ≤ 3,000.
    if (typeof element.max_length === 'number' && element.max_length > 3000) problems.push(`[ERROR] must be at most 3000 ${at}/max_length]`);
    if (typeof element.initial_value === 'string' && chars(element.initial_value) > 3000) problems.push(`[ERROR] must be less than 3001 characters ${at}/initial_value]`);
  }
  return problems;
}

/**
 * A chat.postMessage / chat.update / chat.postEphemeral / response_url payload.
 * https://docs.slack.dev/reference/methods/chat.postMessage: `msg_too_long` (text over 40,000
 * characters: "truncated after 40,000"; the API answers msg_too_long), `invalid_blocks`,
 * `invalid_metadata_format`; metadata is `{ event_type, event_payload }`
 * (https://docs.slack.dev/messaging/message-metadata: event_type matches `^[a-zA-Z0-9_]+$`).
 */
export function messageRefusal(args: Record<string, unknown>): Refusal | undefined {
  const text = typeof args.text === 'string' ? args.text : '';
  if (chars(text) > 40_000) return { error: 'msg_too_long', messages: [] };
  if (args.blocks !== undefined) {
    const blocks = args.blocks as Block[];
    if (!Array.isArray(blocks)) return { error: 'invalid_blocks_format', messages: [] };
    const problems = blockProblems(blocks, 'message');
    if (problems.length) return { error: 'invalid_blocks', messages: problems };
  }
  if (args.metadata !== undefined) {
    const metadata = args.metadata as { event_type?: unknown; event_payload?: unknown };
    const ok =
      typeof metadata === 'object' &&
      metadata !== null &&
      typeof metadata.event_type === 'string' &&
      /^[a-zA-Z0-9_]+$/.test(metadata.event_type) &&
      typeof metadata.event_payload === 'object' &&
      metadata.event_payload !== null &&
      !Array.isArray(metadata.event_payload);
    if (!ok) return { error: 'invalid_metadata_format', messages: [] };
  }
  return undefined;
}

/**
 * A view for views.open / views.update. https://docs.slack.dev/reference/views/modal-views:
 * title, submit, close ≤ 24 characters; private_metadata ≤ 3,000; callback_id ≤ 255; 100 blocks.
 */
export function viewRefusal(view: Record<string, unknown> | undefined): Refusal | undefined {
  if (!view || typeof view !== 'object') return { error: 'invalid_arguments', messages: ['[ERROR] missing required field: view'] };
  const problems: string[] = [];
  for (const field of ['title', 'submit', 'close']) {
    if (view[field] !== undefined && chars(textOf(view[field])) > 24) problems.push(`[ERROR] must be less than 25 characters [json-pointer:/view/${field}/text]`);
  }
  if (typeof view.private_metadata === 'string' && chars(view.private_metadata) > 3000) problems.push('[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]');
  if (typeof view.callback_id === 'string' && chars(view.callback_id) > 255) problems.push('[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]');
  const blocks = (view.blocks as Block[]) ?? [];
  problems.push(...blockProblems(blocks, 'modal'));
  // A modal with input blocks needs a submit button.
  if (blocks.some((b) => b.type === 'input') && view.submit === undefined) problems.push('[ERROR] must provide a submit button when using input blocks [json-pointer:/view/submit]');
  return problems.length ? { error: 'invalid_arguments', messages: problems } : undefined;
}

/**
 * trigger_ids: the stand-in issues them (encoding the issue time) and knows each one's age.
 * A trigger must be exchanged "within 3 seconds of receiving it"
 * (https://docs.slack.dev/tools/bolt-js/concepts/creating-modals); views.open answers
 * `expired_trigger_id` ("The trigger_id is expired"), `invalid_trigger_id` and
 * `exchanged_trigger_id` ("The trigger_id was already exchanged in a previous call")
 * (https://docs.slack.dev/reference/methods/views.open, errors). Trigger IDs come with
 * interactions: https://docs.slack.dev/interactivity/handling-user-interaction
 */
export const TRIGGER_LIFETIME_MS = 3_000;
let triggerCounter = 0;

export function issueTriggerId(now = Date.now()): string {
  triggerCounter += 1;
  return `${now}.${triggerCounter}.${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`;
}

export function triggerIssuedAt(triggerId: string): number | undefined {
  const match = /^(\d{13})\.\d+\.[0-9a-f]{12}$/.exec(triggerId);
  return match ? Number(match[1]) : undefined;
}
