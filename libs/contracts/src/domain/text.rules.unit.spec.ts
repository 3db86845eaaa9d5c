import fc from 'fast-check';
import { jsonByteLength, singleLineText, storableText, storableValue, TEXT_LIMITS, textProblem } from './text.rules';

const visible = fc.string({ unit: fc.constantFrom(...'abc XYZ-_.é日本🚀'), maxLength: 40 });

describe('text rules', () => {
  it('given a title with a NUL at code point 5, when checked, then the message names the field, U+0000 and position 5', () => {
    expect(textProblem('tasks[3].title', 'Fix \u{1F680}\0bug', 'line', TEXT_LIMITS.title)).toEqual({
      codePoint: 'U+0000',
      position: 5,
      message: 'tasks[3].title contains a control character U+0000 at position 5',
    });
  });

  it.each([
    ['a newline', 'Fix\nSigned-off-by: Mallory', 'a line break U+000A at position 3'],
    ['a carriage return', 'Fix\rit', 'a line break U+000D at position 3'],
    ['a line separator', 'Fix\u2028it', 'a line break U+2028 at position 3'],
    ['a tab', 'Fix\tit', 'a control character U+0009 at position 3'],
    ['a right-to-left override', 'abc\u202Efed', 'a bidirectional control character U+202E at position 3'],
    ['a first-strong isolate', 'abc\u2068x', 'a bidirectional control character U+2068 at position 3'],
    ['a zero-width space', 'ad\u200Bmin', 'an invisible format character U+200B at position 2'],
    ['a zero-width joiner', 'a\u200Db', 'an invisible format character U+200D at position 1'],
    ['a word joiner', 'a\u2060b', 'an invisible format character U+2060 at position 1'],
    ['a byte-order mark', '\uFEFFmain', 'an invisible format character U+FEFF at position 0'],
    ['a C1 control', 'a\u0085b', 'a control character U+0085 at position 1'],
    ['a lone high surrogate', 'ab\uD83D', 'a lone surrogate U+D83D at position 2'],
    ['a lone low surrogate', '\uDE80ab', 'a lone surrogate U+DE80 at position 0'],
  ])('given a name with %s, when checked as a line, then it is refused with the code point and position', (_, value, expected) => {
    expect(textProblem('name', value, 'line', TEXT_LIMITS.name)?.message).toBe(`name contains ${expected}`);
  });

  it('given a body with newlines, carriage returns and tabs, when checked, then it is accepted', () => {
    expect(textProblem('body', 'Steps:\r\n\t1. do\n\t2. test', 'body', TEXT_LIMITS.body)).toBeNull();
  });

  it('given a body with a NUL, a bell or a lone surrogate, when checked, then it is refused', () => {
    expect(textProblem('body', 'a\n\0', 'body', TEXT_LIMITS.body)?.message).toBe('body contains a control character U+0000 at position 2');
    expect(textProblem('body', 'a\u0007', 'body', TEXT_LIMITS.body)?.codePoint).toBe('U+0007');
    expect(textProblem('body', 'a\uDC00', 'body', TEXT_LIMITS.body)?.codePoint).toBe('U+DC00');
  });

  it('given a body with zero-width and bidi characters, when checked, then they are allowed (prose may need them)', () => {
    expect(textProblem('body', 'שלום\u200F world \u200D', 'body', TEXT_LIMITS.body)).toBeNull();
  });

  it('given a reason with a zero-width joiner but a newline, when checked, then only the newline is refused', () => {
    expect(textProblem('reason', 'done \u200D', 'reason', TEXT_LIMITS.reason)).toBeNull();
    expect(textProblem('reason', 'done\nnow', 'reason', TEXT_LIMITS.reason)?.codePoint).toBe('U+000A');
  });

  it('given a title over the limit, when checked, then the message names the limit and the length', () => {
    expect(textProblem('title', 'x'.repeat(201), 'line', TEXT_LIMITS.title)?.message).toBe('title must be at most 200 characters (it has 201)');
  });

  it('given any visible text, emoji included, when checked as a line, then it is accepted', () => {
    fc.assert(fc.property(visible, (value) => expect(textProblem('title', value, 'line', 1_000)).toBeNull()));
  });

  it('given any string, when made storable, then it encodes to UTF-8 and back unchanged and holds no NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const stored = storableText(value);
        expect(stored).not.toContain('\0');
        expect(new TextDecoder().decode(new TextEncoder().encode(stored))).toBe(stored);
        expect(textProblem('body', stored, 'body', Infinity)?.message ?? '').not.toContain('surrogate');
      }),
    );
  });

  it('given any string, when made one line, then it passes the reason rule and keeps every visible character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), visible, (noise, kept) => {
        const line = singleLineText(`${kept}${noise}`);
        expect(textProblem('reason', line, 'reason', Infinity)).toBeNull();
        expect(line.startsWith(kept)).toBe(true);
      }),
    );
  });

  it('given text that is already fine, when made storable, then it is the same string', () => {
    fc.assert(fc.property(visible, (value) => expect(storableText(value)).toBe(value)));
  });

  it('given an event with a NUL deep in its data, when made storable, then only that string changes', () => {
    const event = { type: 'BeadCreated', data: { title: 'a\0b', dependsOn: ['x'], index: 3, at: new Date(0) } };
    const stored = storableValue(event);
    expect(stored).toEqual({ type: 'BeadCreated', data: { title: 'a\uFFFDb', dependsOn: ['x'], index: 3, at: new Date(0) } });
    expect(stored.data.dependsOn).toBe(event.data.dependsOn);
    expect(event.data.title).toBe('a\0b');
  });

  it('given any JSON value, when made storable, then its JSON holds no NUL and no lone surrogate escape, and clean values are returned as they are', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), (value) => {
        expect(JSON.stringify(storableValue(value))).not.toMatch(/\\u0000|\\ud[89a-f]/i);
        const clean = JSON.parse(JSON.stringify(storableValue(value))) as unknown;
        expect(storableValue(clean)).toBe(clean);
      }),
    );
  });

  it('given a value, when measured, then the size is the UTF-8 length of its JSON', () => {
    expect(jsonByteLength({ title: 'é' })).toBe(Buffer.byteLength('{"title":"é"}'));
  });
});
