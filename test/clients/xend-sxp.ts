/**
 * The part of xend's SXP reader (`tools/python/xen/xend/sxp.py`, `Parser`, xen-project/xen) that reads a
 * bootloader's answer (`XendBootloader.bootloader`: `pin.input(ret); pin.input_eof()`), for tests:
 * `(` opens a list, `)` closes it, `'` or `"` opens a string that runs to the same quote (backslash
 * escapes), anything else printable is an atom ending at whitespace or one of `{}()<>[]!;`. End of
 * input inside a string or a list raises `ParseError("unexpected EOF")`; a stray `)` raises "syntax error".
 */

/** xend's `ParseError`. */
export class SxpParseError extends Error {}

/** A parsed value: an atom or string, or a list. */
export type Sxp = string | Sxp[];

/** Reads every top-level value of `text` as xend would, or throws `SxpParseError`. */
export function readXendSxp(text: string): Sxp[] {
  const stack: Sxp[][] = [[]];
  let i = 0;
  const separators = '{}()<>[]!;';
  while (i < text.length) {
    const c = text[i]!;
    if (' \t\n\v\f\r'.includes(c)) i += 1;
    else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === '(') {
      stack.push([]);
      i += 1;
    } else if (c === ')') {
      if (stack.length === 1) throw new SxpParseError('syntax error: )');
      const list = stack.pop()!;
      stack.at(-1)!.push(list);
      i += 1;
    } else if (c === "'" || c === '"') {
      let value = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw new SxpParseError('unexpected EOF');
        const d = text[i]!;
        if (d === c) break;
        if (d === '\\' && i + 1 < text.length) {
          value += text[i + 1];
          i += 2;
          continue;
        }
        value += d;
        i += 1;
      }
      i += 1;
      stack.at(-1)!.push(value);
    } else {
      let atom = '';
      while (i < text.length && !' \t\n\v\f\r#'.includes(text[i]!) && !separators.includes(text[i]!)) atom += text[i++];
      if (atom === '') throw new SxpParseError(`invalid character: ${c}`);
      stack.at(-1)!.push(atom);
    }
  }
  if (stack.length > 1) throw new SxpParseError('unexpected EOF');
  return stack[0]!;
}
