/**
 * Rendering a profile for one machine and one render target. The render target belongs to a loader
 * family (`loaders/`); the renderer builds the base context (host, profile, vars, server), asks the
 * profile kind for its context (`profile-context.ts`), and hands it to the family's renderer for that
 * kind, which checks its client's limits and renders the family's template. One `xen-dom0` profile
 * renders to PXELINUX mboot.c32, iPXE multiboot (BIOS), iPXE + xen.efi (UEFI), GRUB2 multiboot2 and
 * xen.efi's `xen.cfg`; `xen-domu` renders only the pypxeboot subset (linted); `linux` and `localboot`
 * render wherever a family has a template for them; `custom` uses the user's templates. See
 * docs/profiles.md and docs/loaders.md.
 */
import { RenderError } from './dom0-args.js';
import { findTarget, hostFiles, type OwnedTarget } from './loaders/index.js';
import type { LoaderTarget } from './loaders/types.js';
import { dom0Context, domuContext, linuxContext } from './profile-context.js';
import { baseContext, type BaseContext, type RenderKit, type Renderer, type RenderOptions, type RenderServer, type RenderSubject } from './render-context.js';
import { TemplateError, type TemplateSet } from './templates.js';

export { RenderError };
export type { RenderOptions, RenderServer, RenderSubject };

/** Renders profiles through a template set. Stateless apart from the compiled templates. */
export class BootRenderer implements Renderer {
  private current: TemplateSet;

  constructor(
    templates: TemplateSet,
    readonly server: RenderServer,
  ) {
    this.current = templates;
  }

  /** The compiled templates every render uses now. */
  get templates(): TemplateSet {
    return this.current;
  }

  /** Renders with `next` from the next request on (SIGHUP reload); `next` is already compiled. */
  replaceTemplates(next: TemplateSet): void {
    this.current = next;
  }

  /**
   * Renders `subject` for a render target (`pxelinux`, `ipxe-efi`, … as listed by `RENDER_TARGETS`);
   * throws `RenderError` when the profile cannot boot that way.
   */
  render(target: string, subject: RenderSubject, options: RenderOptions = {}): string {
    const owned = findTarget(target);
    if (owned === undefined) throw new RenderError(`no render target named "${target}"`);
    const kit = this.kitFor(owned, subject, options);
    let text: string;
    try {
      text = this.renderKind(owned.target, kit);
    } catch (error) {
      if (error instanceof TemplateError) throw new RenderError(error.message);
      throw error;
    }
    owned.target.check?.(kit, text);
    return text;
  }

  /** Renders each argument token (they may hold `{{vars.x}}`); a value with whitespace would split the token. */
  renderArgs(tokens: readonly string[], base: object): string[] {
    return tokens.map((token) => {
      const value = this.templates.renderInline(token, base);
      if (value === '' || /\s/.test(value)) throw new RenderError(`argument "${token}" renders to ${JSON.stringify(value)}: one argument must be one non-empty word`);
      return value;
    });
  }

  /**
   * The variables every template and argument sees: host, profile, vars, server. `publicUrl` is the URL of
   * the client's network (a client on one boot network may not reach another's); default `server.publicUrl`.
   */
  contextFor(subject: RenderSubject, publicUrl?: string): BaseContext {
    return baseContext(subject, this.serverFor(publicUrl));
  }

  private serverFor(publicUrl: string | undefined): RenderServer {
    return publicUrl === undefined ? this.server : { ...this.server, publicUrl };
  }

  private kitFor({ loader }: OwnedTarget, subject: RenderSubject, options: RenderOptions): RenderKit {
    const server = this.serverFor(options.publicUrl);
    const base = baseContext(subject, server);
    return {
      subject,
      options,
      server,
      base,
      hostFiles: hostFiles(subject.mac),
      template: (name, context) => {
        if (loader.templates === null) throw new RenderError(`${loader.id} has no templates`);
        return this.templates.render(`${loader.templates}/${name}`, context);
      },
      args: (tokens) => this.renderArgs(tokens, base),
    };
  }

  /** Asks the profile kind for its context and the target's renderer for that kind. */
  private renderKind(target: LoaderTarget, kit: RenderKit): string {
    const profile = kit.subject.profile;
    const name = profile.name;
    const refuse = () => new RenderError(`profile "${name}" (${profile.kind}) has no ${target.noun ?? target.name}`);
    switch (profile.kind) {
      case 'xen-dom0': {
        const renderer = target.kinds['xen-dom0'];
        if (renderer === undefined) throw refuse();
        return renderer(kit, profile, dom0Context(kit, profile));
      }
      case 'xen-domu': {
        const renderer = target.kinds['xen-domu'];
        if (renderer === undefined) throw new RenderError(`profile "${name}" (xen-domu) is booted by pypxeboot or xenboot-pvboot, not by ${target.name}`);
        return renderer(kit, domuContext(kit, profile));
      }
      case 'linux': {
        const renderer = target.kinds.linux;
        if (renderer === undefined) throw refuse();
        return renderer(kit, linuxContext(kit, profile));
      }
      case 'localboot': {
        const renderer = target.kinds.localboot;
        if (renderer === undefined) throw refuse();
        return renderer(kit);
      }
      case 'custom': {
        const key = target.custom.template;
        const template = profile.templates[key];
        if (template === undefined) throw new RenderError(`profile "${name}" (custom) has no ${key} template`);
        return this.templates.render(template, { ...kit.base, platform: target.custom.platform });
      }
    }
  }
}
