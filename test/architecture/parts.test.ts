/**
 * docs/architecture.json stays true to the code: every file of `src/` and `native/` lies on one part, no
 * import crosses a "never" of the parts file, and `src/` has no import cycle. A file's part is the part whose
 * `is` entry names it most specifically (a file, or the longest folder prefix), so `src/boot/loaders/`
 * is Loaders though `src/boot/` is Boot. Type-only imports count: they tie the code together as much.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lab/xenboot.js';

interface PartsFile {
  parts: Record<string, { is: string[] }>;
  never: Array<[string, string, string?]>;
}

const partsFile = JSON.parse(readFileSync(join(repoRoot, 'docs', 'architecture.json'), 'utf8')) as PartsFile;

/** Relative imports: `import … from '…'`, `export … from '…'`, `import '…'` and `import('…')`. */
const IMPORT = /(?:^|[\s;])(?:import|export)\s(?:[^'";]*?\sfrom\s)?\s*['"](\.{1,2}\/[^'"]+)['"]|import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/gm;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|c|h)$/.test(entry.name))
    .map((entry) => relative(repoRoot, join(entry.parentPath, entry.name)));
}

/** The part a repository path lies on, by its most specific `is` entry; `null` when none names it. */
function partOf(path: string): string | null {
  let best: { part: string; length: number } | null = null;
  for (const [part, { is }] of Object.entries(partsFile.parts)) {
    for (const entry of is) {
      const matches = entry.endsWith('/') ? path.startsWith(entry) : path === entry;
      if (matches && (best === null || entry.length > best.length)) best = { part, length: entry.length };
    }
  }
  return best?.part ?? null;
}

/** `file`'s relative imports, as repository paths of `.ts` files (`.js` in the specifier is the `.ts` source). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = (match[1] ?? match[2])!;
    const target = relative(repoRoot, resolve(dirname(join(repoRoot, file)), specifier)).replace(/\.js$/, '.ts');
    found.push(target);
  }
  return found;
}

const srcFiles = sourceFiles('src').filter((f) => f.endsWith('.ts'));
const edges = new Map(srcFiles.map((file) => [file, importsOf(file).filter((t) => t.startsWith('src/'))]));

/** Strongly connected components of more than one file (Tarjan), each a cycle of imports. */
function importCycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next += 1;
    stack.push(file);
    onStack.add(file);
    for (const target of edges.get(file) ?? []) {
      if (!edges.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const file of srcFiles) if (!index.has(file)) visit(file);
  return cycles;
}

describe('docs/architecture.json against the code', () => {
  it('finds the imports it checks', () => {
    const count = [...edges.values()].reduce((sum, targets) => sum + targets.length, 0);
    expect(count).toBeGreaterThan(300);
    expect(partOf('src/boot/loaders/ipxe.ts')).toBe('Loaders');
    expect(partOf('src/boot/render.ts')).toBe('Boot');
  });

  it('names only parts it defines, and every part holds files', () => {
    const all = [...sourceFiles('src'), ...sourceFiles('native')];
    for (const [a, b] of partsFile.never) {
      expect(partsFile.parts[a], a).toBeDefined();
      expect(partsFile.parts[b], b).toBeDefined();
    }
    for (const part of Object.keys(partsFile.parts)) {
      expect(all.some((file) => partOf(file) === part), `${part} holds no file`).toBe(true);
    }
  });

  it('no import crosses a "never"', () => {
    const crossings: string[] = [];
    for (const [file, targets] of edges) {
      const from = partOf(file);
      for (const target of targets) {
        const to = partOf(target);
        const rule = partsFile.never.find(([a, b]) => a === from && b === to);
        if (rule) crossings.push(`${file} → ${target}: never ${from} → ${to} (${rule[2] ?? ''})`);
      }
    }
    expect(crossings).toEqual([]);
  });

  it('src/ has no import cycle', () => {
    expect(importCycles()).toEqual([]);
  });
});
