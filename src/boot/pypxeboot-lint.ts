/**
 * A linter for PXELINUX files that pypxeboot 0.0.3 will read (boot-protocols.md §1.5). pypxeboot parses
 * a small subset of the format with line regexes and splits every APPEND token on `=`; several ordinary
 * PXELINUX constructs crash it (a token with two `=`, a first token without `=`, a label without APPEND)
 * or silently change what the domU boots (a bare flag overwrites the previous key, a key given twice keeps
 * one value, an empty value becomes a bare key, INITRD and IPAPPEND are ignored, argument order is lost),
 * and an APPEND with nothing but `initrd=` makes it write `(args ')`, which xend cannot read (the rules
 * and their sources: `inventory/pypxeboot-args.ts`). Files for domUs are linted before they are served;
 * any problem refuses the render with a message naming the offending token.
 */
import { appendKey, argTokenProblem, duplicateKeyProblem, NO_ARGS_PROBLEM } from '../inventory/pypxeboot-args.js';

/** One reason pypxeboot would crash on or misread a file. */
export interface PypxebootLintProblem {
  /** 1-based line number in the file, or 0 for whole-file problems. */
  line: number;
  /** The offending token or line text. */
  token: string;
  message: string;
}

/** Thrown when a render intended for pypxeboot fails the linter. */
export class PypxebootLintError extends Error {
  constructor(readonly problems: PypxebootLintProblem[]) {
    super(`not safe for pypxeboot: ${problems.map((p) => (p.line > 0 ? `line ${p.line}: ${p.message}` : p.message)).join('; ')}`);
    this.name = 'PypxebootLintError';
  }
}

const KEYWORD = /^(\S+)(\s+)(.*)$/;

/** Lints a whole PXELINUX file as pypxeboot would read it; returns every problem (empty = safe). */
export function lintPypxebootConfig(text: string): PypxebootLintProblem[] {
  const problems: PypxebootLintProblem[] = [];
  const labels: Array<{ name: string; line: number; kernel?: string; append?: string; appendLine?: number }> = [];
  let defaultLabel: { name: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const stripped = raw.trim();
    if (stripped === '' || stripped.startsWith('#')) return;
    const match = KEYWORD.exec(stripped);
    const keyword = (match ? match[1]! : stripped).toLowerCase();
    const gap = match ? match[2]! : '';
    const rest = match ? match[3]! : '';
    const known = ['default', 'label', 'kernel', 'append', 'localboot'];
    if (known.includes(keyword) && gap !== ' ') {
      problems.push({ line, token: stripped, message: `"${stripped}": pypxeboot needs exactly one space after ${keyword.toUpperCase()}` });
      return;
    }
    const current = labels[labels.length - 1];
    switch (keyword) {
      case 'default':
        defaultLabel = { name: rest, line };
        break;
      case 'label':
        labels.push({ name: rest, line });
        break;
      case 'kernel':
        if (!current) problems.push({ line, token: stripped, message: 'KERNEL before any LABEL' });
        else if (/\s/.test(rest)) problems.push({ line, token: rest, message: `KERNEL "${rest}" has arguments: pypxeboot takes the whole rest of the line as the file name` });
        else if (/\.c32$/i.test(rest)) problems.push({ line, token: rest, message: `KERNEL ${rest} is a COM32 module: pypxeboot would load it as a Linux kernel` });
        else current.kernel = rest;
        break;
      case 'append':
        if (!current) problems.push({ line, token: stripped, message: 'APPEND before any LABEL' });
        else {
          current.append = rest;
          current.appendLine = line;
        }
        break;
      case 'initrd':
        problems.push({ line, token: stripped, message: 'INITRD is ignored by pypxeboot (no ramdisk would be loaded): use initrd= in APPEND' });
        break;
      case 'ipappend':
      case 'sysappend':
        problems.push({ line, token: stripped, message: `${keyword.toUpperCase()} is ignored by pypxeboot: write the values into APPEND` });
        break;
      case 'localboot':
        problems.push({ line, token: stripped, message: 'LOCALBOOT makes pypxeboot run pygrub, which needs --pygrub-image' });
        break;
      default:
        // SERIAL, PROMPT, TIMEOUT, … are ignored by pypxeboot and harmless.
        break;
    }
  });
  if (labels.length === 0) problems.push({ line: 0, token: '', message: 'no LABEL: pypxeboot finds nothing to boot' });
  if (labels.length > 1) problems.push({ line: labels[1]!.line, token: `LABEL ${labels[1]!.name}`, message: `${labels.length} LABEL entries: pypxeboot files must have exactly one` });
  if (!defaultLabel) problems.push({ line: 0, token: '', message: 'no DEFAULT: pypxeboot reports "No default label"' });
  else if (labels.length > 0 && !labels.some((l) => l.name === defaultLabel!.name)) {
    problems.push({ line: defaultLabel.line, token: defaultLabel.name, message: `DEFAULT "${defaultLabel.name}" is not a label name` });
  }
  for (const label of labels) {
    if (label.kernel === undefined) problems.push({ line: label.line, token: `LABEL ${label.name}`, message: `label "${label.name}" has no KERNEL: pypxeboot crashes (KeyError)` });
    if (label.append === undefined) {
      problems.push({ line: label.line, token: `LABEL ${label.name}`, message: `label "${label.name}" has no APPEND: pypxeboot crashes (TypeError)` });
      continue;
    }
    const tokens = label.append.split(/\s+/).filter((t) => t !== '');
    if (tokens[0] !== undefined && !tokens[0].includes('=')) {
      problems.push({ line: label.appendLine!, token: tokens[0], message: `first APPEND token "${tokens[0]}" has no "=": pypxeboot crashes (NameError)` });
    }
    const keys = new Set<string>();
    let args = 0;
    for (const token of tokens) {
      if (token === '---') {
        problems.push({ line: label.appendLine!, token, message: 'APPEND contains "---" (an mboot.c32 command line): pypxeboot cannot boot it' });
        continue;
      }
      const problem = argTokenProblem(token);
      const key = appendKey(token);
      if (key !== null && key !== 'initrd' && key !== 'kernel') args += 1;
      if (problem) problems.push({ line: label.appendLine!, token, message: problem });
      else if (/^initrd=.*,/.test(token)) problems.push({ line: label.appendLine!, token, message: `"${token}" lists several initrds: pypxeboot fetches it as one file name` });
      else if (key === 'kernel') problems.push({ line: label.appendLine!, token, message: `"${token}": pypxeboot drops kernel= from the arguments and boots the KERNEL line` });
      if (key !== null && !problem) {
        if (keys.has(key)) problems.push({ line: label.appendLine!, token, message: duplicateKeyProblem(key) });
        keys.add(key);
      }
    }
    // pypxeboot writes (args '…') only for a non-empty APPEND, and then cuts one character too many when
    // nothing but initrd=/kernel= was in it (see inventory/pypxeboot-args.ts).
    if (tokens.length > 0 && args === 0) problems.push({ line: label.appendLine!, token: label.append, message: NO_ARGS_PROBLEM });
  }
  return problems;
}

/** Throws `PypxebootLintError` when `text` is not safe for pypxeboot; returns it unchanged otherwise. */
export function assertPypxebootSafe(text: string): string {
  const problems = lintPypxebootConfig(text);
  if (problems.length > 0) throw new PypxebootLintError(problems);
  return text;
}
