/**
 * Tests and benchmarks stay apart: what both need lives in lab/. A test that imported bench/ (or a
 * benchmark that imported test/) would tie the suite to benchmark code again; lab/ imports neither,
 * and the server never imports lab/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../../lab/xenboot.js';

const IMPORT = /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sources(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
}

/** Every relative import of the files under `dir`, as `file → top-level folder it reaches`. */
function importsInto(dir: string, forbidden: string[]): string[] {
  const found: string[] = [];
  for (const file of sources(dir)) {
    for (const match of readFileSync(join(repoRoot, file), 'utf8').matchAll(IMPORT)) {
      const target = relative(repoRoot, resolve(dirname(join(repoRoot, file)), match[1]!));
      const top = target.split('/')[0]!;
      if (forbidden.includes(top)) found.push(`${file} → ${target}`);
    }
  }
  return found;
}

it('no test imports bench/', () => {
  expect(importsInto('test', ['bench'])).toEqual([]);
});

it('no benchmark imports test/', () => {
  expect(importsInto('bench', ['test'])).toEqual([]);
});

it('lab/ imports neither test/ nor bench/, and src/ does not import lab/', () => {
  expect(importsInto('lab', ['test', 'bench'])).toEqual([]);
  expect(importsInto('src', ['lab', 'test', 'bench'])).toEqual([]);
});

it('finds the imports it checks (bench/ does import lab/)', () => {
  expect(importsInto('bench', ['lab']).length).toBeGreaterThan(0);
});
