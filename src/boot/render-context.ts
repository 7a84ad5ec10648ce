/**
 * What every render starts from, whichever loader family it is for: who the render is for, the
 * per-request options, the server facts templates may use, and the kit a loader's render target works
 * with (the base context, argument rendering, templates by name). The renderer (`render.ts`) imports the
 * loader registry; loaders (`loaders/`) see the renderer only through these types, so no import cycles.
 */
import { macHyphenated, type Mac } from '../net/mac.js';
import type { Profile, Vars } from '../inventory/model.js';
import type { TemplateSet } from './templates.js';

/** Who the render is for. */
export interface RenderSubject {
  mac: Mac;
  profile: Profile;
  vars: Vars;
  hostname?: string;
  ip?: string;
  uuid?: string;
  /** False for a machine outside the inventory rendered with the unknown-machine profile. */
  known: boolean;
  /** Who the file is for, as written in its comment line (default: the MAC, marked when unknown). */
  label?: string;
}

/** Per-request details. */
export interface RenderOptions {
  /** Origin iPXE resolves `/path` against (`tftp://10.0.0.1` or the HTTP public URL); for the 512-byte check. */
  ipxeBase?: string;
  /** Refuse anything pypxeboot cannot parse (per-MAC files of domUs, `default`). */
  pypxeboot?: boolean;
  /** The public URL of the client's network (`server.httpUrl`); default the renderer's `server.publicUrl`. */
  publicUrl?: string;
}

/** Server facts templates may use. */
export interface RenderServer {
  address: string;
  /** `http.publicUrl`; a render for a client on another boot network is given that network's (`RenderOptions.publicUrl`). */
  publicUrl: string;
}

/** The variables every template and argument sees: host, profile, vars, server. */
export function baseContext(subject: RenderSubject, server: RenderServer) {
  return {
    host: {
      mac: subject.mac,
      macHyphenated: macHyphenated(subject.mac),
      hostname: subject.hostname ?? null,
      ip: subject.ip ?? null,
      uuid: subject.uuid ?? null,
      known: subject.known,
      label: subject.label ?? (subject.known ? subject.mac : `${subject.mac} (unknown machine)`),
    },
    profile: subject.profile,
    vars: subject.vars,
    server: { address: server.address, httpUrl: server.publicUrl },
  };
}

/** The base context of a render. */
export type BaseContext = ReturnType<typeof baseContext>;

/** What a loader's render target works with for one render. */
export interface RenderKit {
  subject: RenderSubject;
  options: RenderOptions;
  server: RenderServer;
  base: BaseContext;
  /** Paths of the subject's own generated files, by context name (`xenCfg: xen-cfg/01-<mac>`). */
  hostFiles: Readonly<Record<string, string>>;
  /** Renders a template of the loader's family by name (`linux` → `ipxe/linux`). */
  template(name: string, context: object): string;
  /** Renders argument tokens (they may hold `{{vars.x}}`), one word each. */
  args(tokens: readonly string[]): string[];
}

/** Renders a profile for a named render target; what generated files and explain render through. */
export interface Renderer {
  readonly server: RenderServer;
  readonly templates: TemplateSet;
  render(target: string, subject: RenderSubject, options?: RenderOptions): string;
}
