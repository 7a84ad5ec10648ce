/**
 * The pypxeboot linter (`lintPypxebootConfig`, `assertPypxebootSafe`) on any text: every PXELINUX file
 * a domU may read passes through it before it is served. Checked: nothing throws but
 * `PypxebootLintError`, and only when there are problems; every problem names a line of the file (or 0
 * for the whole file) and a token that is in the file.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertPypxebootSafe, lintPypxebootConfig, PypxebootLintError } from '../../src/boot/pypxeboot-lint.js';
import { repoRoot } from '../../lab/xenboot.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { texts } from './seeds.js';

/** The rendered PXELINUX files kept as golden test outputs. */
function goldenPxelinux(): Buffer[] {
  const root = join(repoRoot, 'test', 'golden');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('pxelinux.txt'))
    .sort()
    .map((file) => readFileSync(join(root, file)));
}

/** The pypxeboot lint target. */
export const pypxebootLint: FuzzTarget = {
  name: 'pypxeboot-lint',
  description: 'lintPypxebootConfig on any text: problems that name real lines and tokens, never exceptions',
  maxLength: 8192,
  dictionary: ['DEFAULT ', 'LABEL ', 'KERNEL ', 'APPEND ', 'INITRD ', 'IPAPPEND ', 'SYSAPPEND ', 'LOCALBOOT ', 'mboot.c32', ' --- ', 'initrd=', 'kernel=', 'root=', 'console=hvc0', '=', '==', '\n', '\t', '#', 'xen'],
  seeds: () => [
    ...goldenPxelinux(),
    ...texts('DEFAULT domu\nLABEL domu\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img root=/dev/xvda1 console=hvc0\n', 'DEFAULT x\nLABEL x\nKERNEL mboot.c32\nAPPEND xen.gz --- vmlinuz --- initrd\n'),
  ],
  run(data) {
    const text = data.toString('utf8');
    const problems = lintPypxebootConfig(text);
    const lines = text.split('\n').length;
    for (const problem of problems) {
      check(Number.isInteger(problem.line) && problem.line >= 0 && problem.line <= lines, `problem on line ${problem.line} of a ${lines}-line file`);
      check(problem.token === '' || text.includes(problem.token) || problem.token.startsWith('LABEL '), `token "${problem.token.slice(0, 80)}" is not in the file`);
    }
    try {
      assertPypxebootSafe(text);
      check(problems.length === 0, 'assertPypxebootSafe passed a file with problems');
    } catch (error) {
      if (!(error instanceof PypxebootLintError)) throw error;
      check(problems.length > 0, 'assertPypxebootSafe refused a file without problems');
    }
  },
};
