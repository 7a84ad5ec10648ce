/**
 * The one rule an inventory enforces on the kernel arguments of a `xen-domu` profile: pypxeboot 0.0.3
 * splits every APPEND token on `=` itself (boot-protocols.md §1.5), so a token it would crash on or misread
 * is refused when the profile is written, not when a domU boots. The whole-file linter
 * (`boot/pypxeboot-lint.ts`) applies the same rule to rendered files.
 */

/** Why pypxeboot cannot take this APPEND token, or `null` when it is a plain `key=value`. */
export function argTokenProblem(token: string): string | null {
  // `{{…}}` are template variables; judge the literal text around them (their values are checked after rendering).
  const literal = token.replace(/\{\{[^}]*\}\}/g, 'x');
  const equals = (literal.match(/=/g) ?? []).length;
  if (equals === 0) return `bare flag "${token}": pypxeboot stores None under the previous key, so this token and the one before it are lost (use key=value)`;
  if (equals > 1) return `"${token}" has ${equals} "=": pypxeboot crashes on it (ValueError: too many values to unpack)`;
  if (literal.startsWith('=')) return `"${token}" has an empty key`;
  if (literal.includes("'")) return `"${token}" contains a quote: pypxeboot writes args in single quotes without escaping`;
  return null;
}
