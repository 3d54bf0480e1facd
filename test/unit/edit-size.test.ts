import { describe, expect, it } from 'vitest';
import { editSize } from '../../src/shared/edit-size.js';

describe('editSize', () => {
  it('reports nothing changed for identical texts', () => {
    expect(editSize('The same text.', 'The same text.')).toEqual({ charactersChanged: 0, originalLength: 14, editedLength: 14 });
  });

  it('reports nothing changed for two empty texts', () => {
    expect(editSize('', '')).toEqual({ charactersChanged: 0, originalLength: 0, editedLength: 0 });
  });

  it('counts an insertion in the middle', () => {
    expect(editSize('Hello world', 'Hello big world')).toEqual({ charactersChanged: 4, originalLength: 11, editedLength: 15 });
  });

  it('counts a deletion in the middle', () => {
    expect(editSize('Hello big world', 'Hello world')).toEqual({ charactersChanged: 4, originalLength: 15, editedLength: 11 });
  });

  it('counts a replacement in the middle as the longer of the two changed stretches', () => {
    expect(editSize('The cat sat.', 'The dog sat.').charactersChanged).toBe(3);
    // "cat" → "horse": the middle grows from 3 to 5 characters.
    expect(editSize('The cat sat.', 'The horse sat.').charactersChanged).toBe(5);
    expect(editSize('The horse sat.', 'The cat sat.').charactersChanged).toBe(5);
  });

  it('counts an insertion and a deletion at the start', () => {
    expect(editSize('world', 'Hello world')).toEqual({ charactersChanged: 6, originalLength: 5, editedLength: 11 });
    expect(editSize('Hello world', 'world')).toEqual({ charactersChanged: 6, originalLength: 11, editedLength: 5 });
  });

  it('counts a replacement at the start', () => {
    expect(editSize('Cats are great', 'Dogs are great').charactersChanged).toBe(3); // "Cat" → "Dog": the "s" is common
  });

  it('counts an insertion and a deletion at the end', () => {
    expect(editSize('Hello', 'Hello world')).toEqual({ charactersChanged: 6, originalLength: 5, editedLength: 11 });
    expect(editSize('Hello world', 'Hello')).toEqual({ charactersChanged: 6, originalLength: 11, editedLength: 5 });
  });

  it('counts a replacement at the end', () => {
    expect(editSize('Ends with a period.', 'Ends with a period!').charactersChanged).toBe(1);
  });

  it('counts everything when the texts share nothing', () => {
    expect(editSize('abc', 'xyz').charactersChanged).toBe(3);
    expect(editSize('', 'new text')).toEqual({ charactersChanged: 8, originalLength: 0, editedLength: 8 });
    expect(editSize('old text', '')).toEqual({ charactersChanged: 8, originalLength: 8, editedLength: 0 });
  });

  it('does not let the common start and end overlap on repeated characters', () => {
    // "aaa" → "aaaa": one character inserted, whichever "a" it was.
    expect(editSize('aaa', 'aaaa').charactersChanged).toBe(1);
    expect(editSize('aaaa', 'aaa').charactersChanged).toBe(1);
    expect(editSize('abab', 'ababab').charactersChanged).toBe(2);
  });

  it('counts an emoji as one character, in the change and in the lengths', () => {
    expect(editSize('ab', 'a😀b')).toEqual({ charactersChanged: 1, originalLength: 2, editedLength: 3 });
    expect(editSize('Great 👍', 'Great 👎')).toEqual({ charactersChanged: 1, originalLength: 7, editedLength: 7 });
    expect(editSize('😀😀😀', '😀😀😀')).toEqual({ charactersChanged: 0, originalLength: 3, editedLength: 3 });
  });

  it('does not split an emoji that shares its first UTF-16 unit with another', () => {
    // 😀 (U+1F600) and 😁 (U+1F601) share the high surrogate; still one character each.
    expect(editSize('x😀y', 'x😁y').charactersChanged).toBe(1);
  });

  it('is symmetric in the amount changed', () => {
    const pairs: [string, string][] = [
      ['The quick brown fox', 'The quick red fox'],
      ['abc', 'abcdef'],
      ['one two three', 'three two one'],
    ];
    for (const [a, b] of pairs) expect(editSize(a, b).charactersChanged).toBe(editSize(b, a).charactersChanged);
  });

  it('never reports more than the longer text, nor less than the difference in length', () => {
    const samples = ['', 'a', 'abc', 'hello world', 'hello there world', '😀 emoji 😀', 'xyz'];
    for (const a of samples) {
      for (const b of samples) {
        const { charactersChanged, originalLength, editedLength } = editSize(a, b);
        expect(charactersChanged).toBeLessThanOrEqual(Math.max(originalLength, editedLength));
        expect(charactersChanged).toBeGreaterThanOrEqual(Math.abs(originalLength - editedLength));
        expect(charactersChanged === 0).toBe(a === b);
      }
    }
  });

  it('handles a long article in linear time', () => {
    const original = 'word '.repeat(200_000);
    const edited = `${original.slice(0, 500_000)}EDIT${original.slice(500_000)}`;
    const started = performance.now();
    expect(editSize(original, edited)).toEqual({ charactersChanged: 4, originalLength: 1_000_000, editedLength: 1_000_004 });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
