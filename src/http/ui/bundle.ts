/**
 * The console's browser code and styles (`ui/`), bundled with esbuild into one JavaScript and one CSS
 * file. `npm run build` writes them to `dist/ui/`; a xenboot run from source (`tsx`, the tests) bundles
 * them in memory on the first request instead, so no built file is ever committed or stale.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bundled console. */
export interface UiBundle {
  js: string;
  css: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** True when this module runs from its TypeScript source (tsx), not from `dist/`. */
const fromSource = import.meta.url.endsWith('.ts');
/** The repository root from `src/http/ui/` (source) or `dist/src/http/ui/` (build). */
const packageRoot = resolve(here, '..', '..', '..', ...(fromSource ? [] : ['..']));

/** Where `npm run build` writes the bundle. */
export const builtUiDir = join(packageRoot, 'dist', 'ui');

/** Bundles `ui/main.ts` (and the CSS it imports) in memory with esbuild. */
export async function bundleFromSource(minify = true): Promise<UiBundle> {
  // esbuild comes with the development dependencies (tsx); a built xenboot never reaches this.
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(packageRoot, 'ui', 'main.ts')],
    bundle: true,
    write: false,
    minify,
    format: 'iife',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    outdir: 'out',
    logLevel: 'silent',
    legalComments: 'none',
  });
  const text = (suffix: string) => result.outputFiles.find((f) => f.path.endsWith(suffix))?.text ?? '';
  return { js: text('.js'), css: text('.css') };
}

/** The bundle: built files when running from `dist/`, an in-memory build when running from source. */
export async function loadUiBundle(): Promise<UiBundle> {
  if (fromSource) return bundleFromSource();
  const [js, css] = await Promise.all([readFile(join(builtUiDir, 'main.js'), 'utf8'), readFile(join(builtUiDir, 'main.css'), 'utf8')]);
  return { js, css };
}
