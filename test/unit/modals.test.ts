import { describe, expect, it } from 'vitest';
import type { AnyBlock, ContextBlock, InputBlock, ModalView, PlainTextInput, SectionBlock, View } from '@slack/types';
import {
  ARTICLE_BLOCK_PREFIX,
  EDIT_VIEW_ID,
  FEEDBACK_BLOCK_ID,
  REASON_BLOCK_ID,
  REJECT_VIEW_ID,
  REQUEST_CHANGES_VIEW_ID,
  TEXT_ACTION_ID,
  editModal,
  editParts,
  editedArticle,
  inputValue,
  parseModalContext,
  rejectModal,
  requestChangesModal,
  splitText,
  type ModalContext,
} from '../../src/slack/blocks/modals.js';

const CONTEXT: ModalContext = { workflowId: 'research-durable-execution-20240305-k3x9q0', version: 3, channel: 'C0123456' };
const MAX_INPUT_CHARS = 3_000;

const codePoints = (text: string) => [...text].length;

/** A paragraph of exactly `length` characters made of words, so it has word breaks but no line breaks. */
function paragraph(length: number, seed = 'w'): string {
  let text = '';
  let i = 0;
  while (text.length < length) {
    text += `${text ? ' ' : ''}${seed}${i}`;
    i += 1;
  }
  return text.slice(0, length).replace(/\s+$/, (spaces) => 'x'.repeat(spaces.length));
}

function asModal(view: View | undefined): ModalView {
  expect(view).toBeDefined();
  expect(view!.type).toBe('modal');
  return view as ModalView;
}

function inputs(view: ModalView): InputBlock[] {
  return view.blocks.filter((block: AnyBlock): block is InputBlock => block.type === 'input');
}

function textElement(block: InputBlock): PlainTextInput {
  expect(block.element.type).toBe('plain_text_input');
  return block.element as PlainTextInput;
}

/** The `view.state.values` Slack would send back for a modal submitted unchanged. */
function submittedValues(view: ModalView): Record<string, Record<string, { value?: string | null }>> {
  return Object.fromEntries(
    inputs(view).map((block) => [block.block_id!, { [TEXT_ACTION_ID]: { value: textElement(block).initial_value ?? null } }]),
  );
}

describe('splitText', () => {
  const samples: string[] = [
    '',
    'short',
    'x'.repeat(1_000),
    paragraph(2_500),
    [paragraph(300), paragraph(450), paragraph(120), paragraph(800)].join('\n\n'),
    ['line one is here', 'line two follows', paragraph(400), 'and a last line'].join('\n'),
    `${'😀'.repeat(333)} ${'é'.repeat(200)}\n\n${'日本語のテキスト'.repeat(50)}`,
    `  leading spaces and trailing ones  \n\n\n${paragraph(700)}\n`,
  ];

  it('is lossless: the chunks joined are the input', () => {
    for (const text of samples) {
      for (const max of [1, 2, 7, 50, 100, 333, 1_000, 5_000]) {
        expect(splitText(text, max).join('')).toBe(text);
      }
    }
  });

  it('keeps every chunk within max code points', () => {
    for (const text of samples) {
      for (const max of [1, 2, 7, 50, 100, 333, 1_000, 5_000]) {
        for (const chunk of splitText(text, max)) expect(codePoints(chunk)).toBeLessThanOrEqual(max);
      }
    }
  });

  it('never returns an empty chunk for non-empty text', () => {
    for (const text of samples.filter(Boolean)) {
      for (const max of [1, 7, 100, 1_000]) {
        for (const chunk of splitText(text, max)) expect(chunk.length).toBeGreaterThan(0);
      }
    }
  });

  it('returns text that fits as a single chunk', () => {
    expect(splitText('', 10)).toEqual(['']);
    expect(splitText('hello', 10)).toEqual(['hello']);
    expect(splitText('x'.repeat(10), 10)).toEqual(['x'.repeat(10)]);
  });

  it('prefers a paragraph break over a later line or word break', () => {
    const a = 'a'.repeat(60);
    const b = 'b'.repeat(25);
    const text = `${a}\n\n${b}\nccccc ${'d'.repeat(30)}`;
    const chunks = splitText(text, 100);
    expect(chunks[0]).toBe(a);
    expect(chunks.join('')).toBe(text);
  });

  it('prefers a line break over a later word break when no paragraph break is in the second half', () => {
    const text = `${'a'.repeat(30)}\n\n${'b'.repeat(40)}\n${'c'.repeat(10)} ${'d'.repeat(60)}`;
    const chunks = splitText(text, 100);
    expect(chunks[0]).toBe(`${'a'.repeat(30)}\n\n${'b'.repeat(40)}`);
    expect(chunks[1]!.startsWith('\n')).toBe(true);
  });

  it('falls back to the last word break', () => {
    const text = paragraph(250);
    const chunks = splitText(text, 100);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(0, -1)) {
      // Cut right before a space: no word is broken in two.
      expect(chunk.endsWith(' ')).toBe(false);
      expect(chunk).toMatch(/[^\s]$/);
    }
    for (const chunk of chunks.slice(1)) expect(chunk.startsWith(' ')).toBe(true);
    expect(chunks.join('')).toBe(text);
  });

  it('hard-splits text without breaks at exactly max', () => {
    expect(splitText('x'.repeat(250), 100).map((c) => c.length)).toEqual([100, 100, 50]);
  });

  it('hard-splits rather than cut in the first half of the window (which would make tiny chunks)', () => {
    const text = `${'a'.repeat(50)} ${'b'.repeat(100)}`;
    const chunks = splitText(text, 100);
    expect(chunks[0]).toBe(text.slice(0, 100));
  });

  it('counts an emoji as one character and never splits it', () => {
    const chunks = splitText('😀'.repeat(25), 10);
    expect(chunks.map(codePoints)).toEqual([10, 10, 5]);
    for (const chunk of chunks) expect(chunk).toMatch(/^(😀)+$/u);
    const mixed = splitText('ab😀😀😀😀', 3);
    expect(mixed).toEqual(['ab😀', '😀😀😀']);
  });
});

describe('editParts', () => {
  it('keeps a short article as one part, trimmed', () => {
    expect(editParts('  # Title\n\nBody text.\n\n')).toEqual(['# Title\n\nBody text.']);
  });

  it('packs paragraphs into parts of at most 3,000 characters', () => {
    const paragraphs = Array.from({ length: 3 }, (_, i) => paragraph(998, `p${i}`));
    // 3 × 998 + 2 × 2 separators = 2,998: one part.
    expect(editParts(paragraphs.join('\n\n'))).toEqual([paragraphs.join('\n\n')]);
    const bigger = Array.from({ length: 3 }, (_, i) => paragraph(1_000, `p${i}`));
    // 3 × 1,000 + 4 = 3,004: the third paragraph starts a new part.
    expect(editParts(bigger.join('\n\n'))).toEqual([`${bigger[0]}\n\n${bigger[1]}`, bigger[2]]);
  });

  it('accepts a part of exactly 3,000 characters', () => {
    const text = `${paragraph(1_499, 'a')}\n\n${paragraph(1_499, 'b')}`;
    expect(text.length).toBe(3_000);
    expect(editParts(text)).toEqual([text]);
  });

  it('cuts a long article only between paragraphs, never inside one', () => {
    const paragraphs = Array.from({ length: 25 }, (_, i) => paragraph(200 + ((i * 373) % 1_400), `p${i}-`));
    const article = `\n${paragraphs.join('\n\n')}\n\n`;
    const parts = editParts(article);
    expect(parts.length).toBeGreaterThan(3);
    for (const part of parts) {
      expect(codePoints(part)).toBeLessThanOrEqual(MAX_INPUT_CHARS);
      expect(part).toBe(part.trim());
      expect(part.length).toBeGreaterThan(0);
      // Every part is a run of whole paragraphs.
      for (const piece of part.split('\n\n')) expect(paragraphs).toContain(piece);
    }
    expect(parts.join('\n\n')).toBe(article.trim());
  });

  it('has no part that starts or ends with whitespace, for markdown articles with headings and lists', () => {
    const article = [
      '# Durable execution',
      paragraph(1_800, 'intro'),
      '## Why it matters\n- one\n- two\n- three',
      paragraph(2_400, 'body'),
      '> a quote\n> on two lines',
      paragraph(2_900, 'end'),
    ].join('\n\n');
    const parts = editParts(article);
    for (const part of parts) {
      expect(part).not.toMatch(/^\s|\s$/);
      expect(codePoints(part)).toBeLessThanOrEqual(MAX_INPUT_CHARS);
    }
    expect(parts.join('\n\n')).toBe(article);
  });

  it('keeps runs of blank lines between paragraphs as written (the edit round-trips exactly)', () => {
    expect(editParts('one\n\n\n\ntwo\n\n\nthree')).toEqual(['one\n\n\n\ntwo\n\n\nthree']);
  });

  it('counts characters as code points, so emoji do not take two', () => {
    const emoji = '😀'.repeat(2_000); // 4,000 UTF-16 units, 2,000 characters
    expect(editParts(emoji)).toEqual([emoji]);
  });

  it('splits a single paragraph longer than 3,000 characters into parts that fit', () => {
    const long = paragraph(7_000, 'long');
    const parts = editParts(`Intro.\n\n${long}\n\nOutro.`);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(codePoints(part)).toBeLessThanOrEqual(MAX_INPUT_CHARS);
    // Nothing but whitespace is lost or added.
    expect(parts.join('').replace(/\s+/g, '')).toBe(`Intro.${long}Outro.`.replace(/\s+/g, ''));
  });

  // A paragraph longer than one input is cut at whitespace, which its block ID keeps.
  it('keeps parts free of edge whitespace even when a paragraph is longer than 3,000 characters', () => {
    const long = paragraph(3_500, 'long');
    const parts = editParts(`Intro.\n\n${long}\n\nOutro.`);
    for (const part of parts) expect(part).not.toMatch(/^\s|\s$/);
  });

  it('round-trips an unedited article with a paragraph longer than 3,000 characters', () => {
    const article = `Intro.\n\n${paragraph(3_500, 'long')}\n\nOutro.`;
    expect(editedArticle(submittedValues(asModal(editModal(CONTEXT, article))))).toBe(article);
  });
});

describe('edit modal: the draft round-trips exactly, whitespace at every cut included', () => {
  const roundTrip = (article: string) => editedArticle(submittedValues(asModal(editModal(CONTEXT, article))));
  const cases: Array<[string, string]> = [
    ['a tab at the cut', `${'a'.repeat(2_999)}\t${'b'.repeat(500)}`],
    ['an NBSP at the cut', `${'a'.repeat(2_999)}\u00A0${'b'.repeat(500)}`],
    ['a CJK paragraph with U+3000 at 3,000', `${'字'.repeat(2_999)}\u3000${'字'.repeat(500)}`],
    ['a word cut followed by a second whitespace character', `${'word '.repeat(650)} \t${'x'.repeat(1_000)}`],
    ['a line cut followed by a second line break', `${'line of text\n'.repeat(240)}\n ${'y'.repeat(1_000)}`],
    ['Markdown hard breaks ("  \\n") at the cut', `${'a hard break  \n'.repeat(230)}${'z'.repeat(1_000)}`],
    ['three blank lines between paragraphs at a part boundary', `${paragraph(2_000, 'p')}\n\n\n\n${paragraph(2_000, 'q')}`],
    ['a paragraph break with trailing spaces', `${paragraph(2_000, 'p')}  \n \n${paragraph(2_000, 'q')}`],
    ['no whitespace at all', 'x'.repeat(7_000)],
    ['a whitespace run across the 3,000th character', `${'a'.repeat(2_998)}  \t  ${'b'.repeat(500)}`],
  ];
  for (const [name, article] of cases) {
    it(name, () => {
      expect(roundTrip(article)).toBe(article);
      expect(editParts(article).length).toBeGreaterThan(1);
    });
  }
});

describe('editedArticle', () => {
  const values = (parts: Record<string, string | null | undefined>) =>
    Object.fromEntries(Object.entries(parts).map(([id, value]) => [id, { [TEXT_ACTION_ID]: value === undefined ? {} : { value } }]));

  it('joins the parts with a blank line', () => {
    expect(editedArticle(values({ article_0: 'First.', article_1: 'Second.' }))).toBe('First.\n\nSecond.');
  });

  it('orders parts by their number, so article_10 comes after article_9', () => {
    const ids = Array.from({ length: 12 }, (_, i) => i);
    // Insertion order scrambled, and string order would put article_10 and article_11 before article_2.
    const scrambled = [11, 3, 10, 0, 7, 2, 9, 1, 5, 8, 4, 6];
    expect(scrambled.slice().sort((a, b) => a - b)).toEqual(ids);
    const result = editedArticle(values(Object.fromEntries(scrambled.map((i) => [`${ARTICLE_BLOCK_PREFIX}${i}`, `part ${i}`]))));
    expect(result).toBe(ids.map((i) => `part ${i}`).join('\n\n'));
  });

  it('trims only the outer edges, never a part at a cut', () => {
    // Only the article's outer edges are trimmed: whitespace at a cut is the reviewer's, kept.
    expect(editedArticle(values({ article_0: '\n  First.  \n', article_1: '\tSecond.\n\n' }))).toBe('First.  \n\n\n\tSecond.');
  });

  it('drops empty, blank, null and missing parts', () => {
    expect(
      editedArticle(values({ article_0: 'First.', article_1: '', article_2: '   \n ', article_3: null, article_4: undefined, article_5: 'Last.' })),
    ).toBe('First.\n\nLast.');
  });

  it('ignores blocks that are not article parts', () => {
    expect(editedArticle(values({ [FEEDBACK_BLOCK_ID]: 'feedback', article_0: 'Only.', [REASON_BLOCK_ID]: 'reason' }))).toBe('Only.');
  });

  it('is empty when every part is empty', () => {
    expect(editedArticle(values({ article_0: '', article_1: '  ' }))).toBe('');
    expect(editedArticle({})).toBe('');
  });
});

describe('inputValue', () => {
  it('reads the text input of a block', () => {
    expect(inputValue({ feedback: { [TEXT_ACTION_ID]: { value: 'Shorter, please' } } }, 'feedback')).toBe('Shorter, please');
  });

  it('keeps the value as typed (no trimming)', () => {
    expect(inputValue({ feedback: { [TEXT_ACTION_ID]: { value: '  spaced  ' } } }, 'feedback')).toBe('  spaced  ');
  });

  it('is empty for a missing block, a missing action, or a null or absent value', () => {
    expect(inputValue({}, 'feedback')).toBe('');
    expect(inputValue({ feedback: { other_action: { value: 'x' } } }, 'feedback')).toBe('');
    expect(inputValue({ feedback: { [TEXT_ACTION_ID]: { value: null } } }, 'feedback')).toBe('');
    expect(inputValue({ feedback: { [TEXT_ACTION_ID]: {} } }, 'feedback')).toBe('');
  });
});

describe('parseModalContext', () => {
  it('reads back a context', () => {
    expect(parseModalContext(JSON.stringify(CONTEXT))).toEqual(CONTEXT);
  });

  it('keeps only the three known fields', () => {
    expect(parseModalContext(JSON.stringify({ ...CONTEXT, admin: true, extra: 'x' }))).toEqual(CONTEXT);
  });

  it('rejects missing or undefined metadata and non-JSON', () => {
    expect(parseModalContext(undefined)).toBeUndefined();
    expect(parseModalContext('')).toBeUndefined();
    expect(parseModalContext('not json')).toBeUndefined();
    expect(parseModalContext('{"workflowId":')).toBeUndefined();
  });

  it('rejects JSON that is not an object', () => {
    for (const junk of ['null', '42', '"text"', 'true', '[]', '["research-x-20240101-abc", 1, "C1"]']) {
      expect(parseModalContext(junk)).toBeUndefined();
    }
  });

  it('rejects a context with a missing field', () => {
    const { workflowId, version, channel } = CONTEXT;
    expect(parseModalContext(JSON.stringify({ version, channel }))).toBeUndefined();
    expect(parseModalContext(JSON.stringify({ workflowId, channel }))).toBeUndefined();
    expect(parseModalContext(JSON.stringify({ workflowId, version }))).toBeUndefined();
    expect(parseModalContext('{}')).toBeUndefined();
  });

  it('rejects fields of the wrong type', () => {
    expect(parseModalContext(JSON.stringify({ ...CONTEXT, version: '3' }))).toBeUndefined();
    expect(parseModalContext(JSON.stringify({ ...CONTEXT, workflowId: 42 }))).toBeUndefined();
    expect(parseModalContext(JSON.stringify({ ...CONTEXT, channel: null }))).toBeUndefined();
    expect(parseModalContext(JSON.stringify({ ...CONTEXT, channel: ['C1'] }))).toBeUndefined();
  });
});

describe('requestChangesModal', () => {
  const view = asModal(requestChangesModal(CONTEXT, 2));

  it('is identified by its callback ID and carries the context', () => {
    expect(view.callback_id).toBe(REQUEST_CHANGES_VIEW_ID);
    expect(parseModalContext(view.private_metadata)).toEqual(CONTEXT);
  });

  it('names the version in its title and has Send and Cancel buttons', () => {
    expect(view.title.text).toBe('Request changes to v3');
    expect(view.submit?.text).toBe('Send');
    expect(view.close?.text).toBe('Cancel');
  });

  it('asks for required, multi-line feedback of 3 to 3,000 characters', () => {
    const input = inputs(view);
    expect(input).toHaveLength(1);
    expect(input[0]!.block_id).toBe(FEEDBACK_BLOCK_ID);
    expect(input[0]!.optional).toBe(false);
    const element = textElement(input[0]!);
    expect(element.action_id).toBe(TEXT_ACTION_ID);
    expect(element.multiline).toBe(true);
    expect(element.max_length).toBe(MAX_INPUT_CHARS);
    expect(element.min_length).toBe(3);
    expect(element.initial_value).toBeUndefined();
    expect(element.placeholder?.text).toBeTruthy();
  });

  it('says how many revisions are left, singular and plural', () => {
    const text = (revisionsLeft: number) =>
      (asModal(requestChangesModal(CONTEXT, revisionsLeft)).blocks.find((b) => b.type === 'section') as SectionBlock).text!.text;
    expect(text(2)).toContain('(2 revisions left)');
    expect(text(1)).toContain('(1 revision left)');
  });
});

describe('rejectModal', () => {
  const view = asModal(rejectModal(CONTEXT));

  it('is identified by its callback ID and carries the context', () => {
    expect(view.callback_id).toBe(REJECT_VIEW_ID);
    expect(parseModalContext(view.private_metadata)).toEqual(CONTEXT);
    expect(view.title.text).toBe('Reject draft v3');
    expect(view.submit?.text).toBe('Reject');
  });

  it('asks for an optional reason of at most 3,000 characters', () => {
    const [input, ...others] = inputs(view);
    expect(others).toHaveLength(0);
    expect(input!.block_id).toBe(REASON_BLOCK_ID);
    expect(input!.optional).toBe(true);
    const element = textElement(input!);
    expect(element.action_id).toBe(TEXT_ACTION_ID);
    expect(element.max_length).toBe(MAX_INPUT_CHARS);
    expect(element.min_length).toBeUndefined();
  });
});

describe('editModal', () => {
  const article = '# Durable execution\n\nAgents crash. **Workflows** do not.\n\n- one\n- two';

  it('is identified by its callback ID and carries the context', () => {
    const view = asModal(editModal(CONTEXT, article));
    expect(view.callback_id).toBe(EDIT_VIEW_ID);
    expect(parseModalContext(view.private_metadata)).toEqual(CONTEXT);
    expect(view.title.text).toBe('Edit draft v3');
    expect(view.submit?.text).toBe('Approve edited');
  });

  it('explains that submitting approves', () => {
    const view = asModal(editModal(CONTEXT, article));
    const context = view.blocks.find((b) => b.type === 'context') as ContextBlock;
    expect(JSON.stringify(context.elements)).toContain('Submitting approves');
  });

  it('puts a short article in one required input, unchanged', () => {
    const view = asModal(editModal(CONTEXT, article));
    const [input, ...others] = inputs(view);
    expect(others).toHaveLength(0);
    expect(input!.block_id).toBe(`${ARTICLE_BLOCK_PREFIX}0`);
    expect(input!.label.text).toBe('Article');
    expect(input!.optional).toBe(false);
    const element = textElement(input!);
    expect(element.action_id).toBe(TEXT_ACTION_ID);
    expect(element.multiline).toBe(true);
    expect(element.max_length).toBe(MAX_INPUT_CHARS);
    expect(element.initial_value).toBe(article);
  });

  it('spreads a long article over numbered inputs whose initial values rebuild it', () => {
    const paragraphs = Array.from({ length: 12 }, (_, i) => paragraph(900 + i * 100, `p${i}-`));
    const long = paragraphs.join('\n\n');
    const view = asModal(editModal(CONTEXT, long));
    const blocks = inputs(view);
    expect(blocks.length).toBeGreaterThan(1);
    blocks.forEach((block, index) => {
      // The whitespace joining a part to the one before (here "\n\n", char a twice) lives in its block ID, exactly.
      expect(block.block_id).toBe(index === 0 ? `${ARTICLE_BLOCK_PREFIX}0` : `${ARTICLE_BLOCK_PREFIX}${index}_ws_ax2`);
      expect(block.label.text).toBe(`Article (part ${index + 1} of ${blocks.length})`);
      // Only the first part is required: a reviewer may empty the others.
      expect(block.optional).toBe(index > 0);
      const element = textElement(block);
      expect(element.max_length).toBe(MAX_INPUT_CHARS);
      expect(codePoints(element.initial_value!)).toBeLessThanOrEqual(MAX_INPUT_CHARS);
    });
    expect(editedArticle(submittedValues(view))).toBe(long);
  });

  it('rebuilds an article with more than ten parts in order', () => {
    const paragraphs = Array.from({ length: 14 }, (_, i) => paragraph(2_000, `para${i}-`));
    const long = paragraphs.join('\n\n');
    const view = asModal(editModal(CONTEXT, long));
    expect(inputs(view)).toHaveLength(14);
    expect(editedArticle(submittedValues(view))).toBe(long);
  });

  it('accepts up to 90 inputs and stays under Slack’s 100 blocks', () => {
    const article90 = Array.from({ length: 90 }, (_, i) => paragraph(2_000, `p${i}-`)).join('\n\n');
    const view = asModal(editModal(CONTEXT, article90));
    expect(inputs(view)).toHaveLength(90);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(editedArticle(submittedValues(view))).toBe(article90);
  });

  it('gives up (undefined) when the article would need more than 90 inputs', () => {
    const article91 = Array.from({ length: 91 }, (_, i) => paragraph(2_000, `p${i}-`)).join('\n\n');
    expect(editParts(article91)).toHaveLength(91);
    expect(editModal(CONTEXT, article91)).toBeUndefined();
  });

  it('keeps titles and submit labels within Slack’s 24 characters for any realistic version', () => {
    for (const version of [1, 9, 10, 99, 100, 999]) {
      const context = { ...CONTEXT, version };
      for (const view of [requestChangesModal(context, 1), rejectModal(context), editModal(context, article)]) {
        const modal = asModal(view);
        expect(modal.title.text.length).toBeLessThanOrEqual(24);
        expect(modal.submit!.text.length).toBeLessThanOrEqual(24);
      }
    }
  });
});
