/**
 * Generated boot files, served through the content handler chain to TFTP and HTTP clients. Each loader
 * family (`loaders/`) recognises and answers its own names (`pxelinux.cfg/<uuid | 01-mac | hex IP |
 * default>`, `grub/grub.cfg-01-<mac>` / `-<hex IP>` / `grub/grub.cfg`, `boot.ipxe`,
 * `ipxe/<platform>/01-<mac>.ipxe`, `xen-cfg/01-<mac>`); this file asks the registry which family a path
 * belongs to and turns the answer into content. How a name finds its machine is `answer.ts`.
 */
import type { Content, ContentHandler, ContentRequest } from '../content/types.js';
import { bufferContent, ContentDenied } from '../content/types.js';
import type { Logger } from '../log.js';
import type { GeneratedAnswer, GeneratedFilesContext } from './answer.js';
import type { InventoryProvider } from '../inventory/snapshot.js';
import { findLoader, parseGeneratedPath } from './loaders/index.js';
import { answerVendorConfig } from './vendor-config.js';
import { publicUrlFor, singlePublicUrl, type PublicUrls } from './public-urls.js';
import type { BootRenderer } from './render.js';

export type { GeneratedAnswer, GeneratedFilesContext };

/**
 * Answers a generated name through the family that serves it; `null` when the path is not a generated file.
 * A vendor GRUB config path answers first, for the machine whose choice names it (`vendor-config.ts`).
 */
export async function answerGeneratedPath(path: string, ctx: GeneratedFilesContext): Promise<GeneratedAnswer | null> {
  const vendor = await answerVendorConfig(path, ctx);
  if (vendor !== null) return vendor;
  const name = parseGeneratedPath(path);
  if (name === null) return null;
  const names = findLoader(name.loader)?.names;
  if (!names) throw new Error(`no loader family serves ${name.loader} names`);
  return names.answer(name, ctx);
}

/** What the generated-files handler needs from the running service. */
export interface GeneratedFilesDeps {
  provider: InventoryProvider;
  renderer: BootRenderer;
  /** The public URL of each boot network; without it, the renderer's `server.publicUrl` for every client. */
  publicUrls?: PublicUrls;
  logger?: Logger;
  macForIp?: (ip: string) => Promise<string | null>;
}

/** The base iPXE resolves `/path` against for a request. */
export function ipxeBaseFor(request: Pick<ContentRequest, 'protocol' | 'serverIp'>, publicUrl: string): string {
  return request.protocol === 'http' ? publicUrl : `tftp://${request.serverIp}`;
}

/** The content handler for generated files: text → content, not found → `null`, refused → `ContentDenied`. */
export function createGeneratedFilesHandler(deps: GeneratedFilesDeps): ContentHandler {
  return async (request: ContentRequest): Promise<Content | null> => {
    // The network whose address the request reached (TFTP and HTTP alike) decides the URL rendered in.
    const publicUrl = publicUrlFor(deps.publicUrls ?? singlePublicUrl(deps.renderer.server.publicUrl), request.serverIp);
    const ctx: GeneratedFilesContext = {
      inventory: deps.provider.current(),
      renderer: deps.renderer,
      ipxeBase: ipxeBaseFor(request, publicUrl),
      publicUrl,
      clientIp: request.clientIp,
      ...(deps.macForIp ? { macForIp: deps.macForIp } : {}),
    };
    let answer: GeneratedAnswer | null;
    try {
      answer = await answerGeneratedPath(request.path, ctx);
    } catch (error) {
      deps.logger?.warn({ err: error, path: request.path }, 'generated file failed');
      throw new ContentDenied(`cannot generate ${request.path}`);
    }
    if (answer === null) return null;
    if (answer.kind === 'text') {
      deps.logger?.debug({ path: request.path, client: request.clientIp, why: answer.why }, 'generated file');
      return bufferContent(answer.text);
    }
    if (answer.kind === 'refused') {
      deps.logger?.warn({ path: request.path, client: request.clientIp, why: answer.why }, 'generated file refused');
      throw new ContentDenied(answer.why, { clientMessage: `refused: ${answer.why}` });
    }
    deps.logger?.debug({ path: request.path, client: request.clientIp, why: answer.why }, 'generated file not found');
    return null;
  };
}
