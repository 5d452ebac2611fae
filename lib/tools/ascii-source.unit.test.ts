import { asciiSource } from './ascii-source.js';

describe('asciiSource', () => {
  it('escapes every non-ASCII character so that the code means the same', () => {
    const code = [
      '// 64–71 — comments keep their words',
      'const DURATION = /^(\\d+(ns|us|µs|ms))+$/;',
      'const µ = "µs and 🎥";',
      'const [a, b] = [DURATION.test("5µs"), DURATION.test("5xs")];',
      'const t = `${µ} · done`;',
      'return [a, b, µ, t, /[é]/.test("é")];',
    ].join('\n');
    const escaped = asciiSource(code);
    expect(/[^ -~\n]/.test(escaped)).toBe(false);
    expect(escaped).toContain('// 64\\u201371 \\u2014 comments');
    expect(new Function(escaped)()).toEqual(new Function(code)());
    expect(new Function(escaped)()).toEqual([true, false, 'µs and 🎥', 'µs and 🎥 · done', true]);
  });

  it('leaves ASCII as it is', () => {
    const code = 'const a = "plain"; // nothing to escape\n';
    expect(asciiSource(code)).toBe(code);
  });

  it('refuses a non-ASCII character right after a backslash, whose escape would mean something else', () => {
    expect(() => asciiSource('const s = "\\é";')).toThrow('a non-ASCII character follows a backslash at offset 12: it cannot be escaped');
  });
});
