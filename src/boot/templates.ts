/**
 * The template set: every `*.hbs` under the built-in `templates/` directory, overridden file by file by
 * the user's template directory (`inventory.templateDir`). Handlebars runs `strict` (a missing field is
 * an error, not an empty string) and `noEscape` (HTML escaping would corrupt `&` in URLs). All templates
 * are parsed and compiled when the set is loaded, so a broken template stops xenboot at start instead of
 * failing a booting client.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

/** Thrown when a template cannot be loaded or rendered. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** The directory holding the built-in templates (found upwards from this module, in src/ or dist/src/). */
export function builtinTemplateDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i += 1) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, 'pxelinux'))) return candidate;
    dir = dirname(dir);
  }
  throw new TemplateError('built-in templates directory not found');
}

function listTemplates(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (dir: string, depth: number) => {
    if (depth > 4) return;
    for (const entry of readdirSync(dir).sort()) {
      const path = join(dir, entry);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path, depth + 1);
      else if (entry.endsWith('.hbs')) found.set(relative(root, path).split(sep).join('/').slice(0, -'.hbs'.length), path);
    }
  };
  walk(root, 0);
  return found;
}

type Compiled = (context: unknown) => string;

/** A compiled, immutable set of templates addressed by name (`pxelinux/xen-dom0`). */
export class TemplateSet {
  private readonly env = Handlebars.create();
  private readonly compiled = new Map<string, Compiled>();
  private readonly tokenCache = new Map<string, Compiled>();
  /** Where each template was read from (for explain and error messages). */
  readonly origins = new Map<string, string>();

  private constructor() {
    this.env.registerHelper('join', (list: unknown, separator: unknown) =>
      Array.isArray(list) ? list.join(typeof separator === 'string' ? separator : ' ') : '',
    );
  }

  /** Loads the built-in templates and the user's overrides; throws `TemplateError` naming the broken file. */
  static load(userDir?: string, builtinDir = builtinTemplateDir()): TemplateSet {
    const set = new TemplateSet();
    const files = listTemplates(builtinDir);
    if (userDir !== undefined) {
      const absolute = resolve(userDir);
      if (!existsSync(absolute) || !statSync(absolute).isDirectory()) throw new TemplateError(`template directory ${absolute} does not exist`);
      for (const [name, path] of listTemplates(absolute)) files.set(name, path);
    }
    for (const [name, path] of files) set.add(name, readFileSync(path, 'utf8'), path);
    return set;
  }

  /** Builds a set from in-memory sources (tests). */
  static fromSources(sources: Record<string, string>): TemplateSet {
    const set = new TemplateSet();
    for (const [name, text] of Object.entries(sources)) set.add(name, text, `(inline ${name})`);
    return set;
  }

  private add(name: string, text: string, origin: string): void {
    try {
      // parse() reports syntax errors now; compile() alone would defer them to the first render.
      this.env.parse(text);
      const fn = this.env.compile(text, { strict: true, noEscape: true });
      this.compiled.set(name, fn);
      this.origins.set(name, origin);
    } catch (error) {
      throw new TemplateError(`template ${origin}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /** True when a template of that name exists. */
  has(name: string): boolean {
    return this.compiled.has(name);
  }

  /** Renders a template; a missing field or helper error becomes a `TemplateError` naming the template. */
  render(name: string, context: unknown): string {
    const fn = this.compiled.get(name);
    if (!fn) throw new TemplateError(`no template named "${name}"`);
    try {
      return fn(context);
    } catch (error) {
      throw new TemplateError(`template ${this.origins.get(name)}: ${(error as Error).message.split('\n')[0]}`);
    }
  }

  /** Renders a short inline text such as one kernel argument with `{{vars.x}}` (compiled once, cached). */
  renderInline(text: string, context: unknown): string {
    if (!text.includes('{{')) return text;
    let fn = this.tokenCache.get(text);
    if (!fn) {
      try {
        this.env.parse(text);
      } catch (error) {
        throw new TemplateError(`"${text}": ${(error as Error).message.split('\n')[0]}`);
      }
      fn = this.env.compile(text, { strict: true, noEscape: true });
      this.tokenCache.set(text, fn);
    }
    try {
      return fn(context);
    } catch (error) {
      throw new TemplateError(`"${text}": ${(error as Error).message.split('\n')[0]}`);
    }
  }
}
