/**
 * The rules an inventory enforces on the kernel arguments of a `xen-domu` profile that pypxeboot serves.
 * pypxeboot 0.0.3 splits every APPEND token on `=` itself and keeps them in a Python dict
 * (boot-protocols.md §1.5, `pypxeboot` of blamarvt/pypxeboot@b7e226b), so a token it would crash on or
 * misread is refused when the profile is written, not when a domU boots. The whole-file linter
 * (`boot/pypxeboot-lint.ts`) applies the same rules to rendered files, where variables have their values.
 *
 * What pypxeboot does with the APPEND line, and so what is refused:
 * - `(k,v) = entry.split('=')`: two `=` crash it (ValueError); no `=` stores None under the previous key.
 * - `append[k] = v` in a dict: a key given twice keeps only the last value (`console=tty0 console=hvc0`
 *   boots with one console), and argument order is lost.
 * - `initrd=` is the ramdisk it fetches and `kernel=` is dropped; both are removed from the arguments,
 *   so in a profile's arguments they would silently replace or lose the profile's own files.
 * - `if value: sxp += "=" + value`: an empty value (`console=`) is written as the bare key `console`.
 * - The `(args '…')` it writes for xend removes the last character (`sxp[0:-1]`, meant for the trailing
 *   space): with no argument left after `initrd=`/`kernel=` that character is the opening quote, and
 *   xend's SXP reader (`xend/sxp.py`: a `'` opens a string that runs to the next `'`) fails with
 *   "unexpected EOF" on `(args ')`. So a profile with an initrd needs at least one argument.
 */

/** The key pypxeboot files an APPEND token under (the text before the first `=`), or null for a bare word. */
export function appendKey(token: string): string | null {
  const at = token.indexOf('=');
  return at < 0 ? null : token.slice(0, at);
}

/** Why pypxeboot cannot take this APPEND token, or `null` when it is a plain `key=value`. */
export function argTokenProblem(token: string): string | null {
  // `{{…}}` are template variables; judge the literal text around them (their values are checked after rendering).
  const literal = token.replace(/\{\{[^}]*\}\}/g, 'x');
  const equals = (literal.match(/=/g) ?? []).length;
  if (equals === 0) return `bare flag "${token}": pypxeboot stores None under the previous key, so this token and the one before it are lost (use key=value)`;
  if (equals > 1) return `"${token}" has ${equals} "=": pypxeboot crashes on it (ValueError: too many values to unpack)`;
  if (literal.startsWith('=')) return `"${token}" has an empty key`;
  if (literal.endsWith('=')) return `"${token}" has an empty value: pypxeboot writes it as the bare key "${literal.slice(0, -1)}"`;
  if (literal.includes("'")) return `"${token}" contains a quote: pypxeboot writes args in single quotes without escaping`;
  return null;
}

/** Why pypxeboot would misread an APPEND holding this key twice. */
export function duplicateKeyProblem(key: string): string {
  return `"${key}=" is given twice: pypxeboot keeps its arguments in a dict, so only the last one reaches the kernel`;
}

/** The message for an APPEND whose arguments are all `initrd=`/`kernel=` (or none). */
export const NO_ARGS_PROBLEM =
  "no argument besides initrd=: pypxeboot then writes (args ') for xend, which xend's SXP reader refuses (unexpected EOF); give at least one argument, e.g. console=hvc0";

/** One problem of a profile's argument list; `index` is the argument's position, or null for the list. */
export interface ArgListProblem {
  index: number | null;
  message: string;
}

/**
 * Every problem pypxeboot would have with a `xen-domu` profile's arguments (`args`, before rendering),
 * given whether the profile names an initrd: each token's own problem, `initrd=`/`kernel=` among them,
 * a key given twice, and an APPEND pypxeboot would turn into an empty argument string. Keys holding a
 * template variable are judged after rendering, by the file linter.
 */
export function argListProblems(args: readonly string[], options: { initrd: boolean }): ArgListProblem[] {
  const problems: ArgListProblem[] = [];
  const seen = new Map<string, number>();
  args.forEach((token, index) => {
    const problem = argTokenProblem(token);
    if (problem) {
      problems.push({ index, message: problem });
      return;
    }
    const key = appendKey(token)!;
    if (key === 'initrd' || key === 'kernel') {
      problems.push({ index, message: `"${token}": pypxeboot takes ${key}= as the domU's ${key === 'initrd' ? 'ramdisk' : 'kernel'} and removes it from the arguments; set the profile's ${key} instead` });
      return;
    }
    if (key.includes('{{')) return;
    const first = seen.get(key);
    if (first !== undefined) problems.push({ index, message: `${duplicateKeyProblem(key)} (also args[${first}])` });
    else seen.set(key, index);
  });
  if (args.length === 0) {
    problems.push({
      index: null,
      message: options.initrd ? NO_ARGS_PROBLEM : 'no arguments and no initrd: the APPEND line would be empty and pypxeboot crashes on it (TypeError); give at least one argument',
    });
  }
  return problems;
}
