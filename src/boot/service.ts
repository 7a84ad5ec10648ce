/**
 * The boot side of a running xenboot: the renderer, the inventory provider and the generated-files content
 * handler, built from parts the caller has already loaded (templates, the config file's inventory, a loader
 * for stored documents, a lease lookup). Where those parts come from (the config file, the store) is the
 * composition root's business: `src/boot-service.ts`.
 */
import type { ContentHandler } from '../content/types.js';
import type { Logger } from '../log.js';
import { createGeneratedFilesHandler } from './generated-files.js';
import type { InventoryDocuments } from '../inventory/model.js';
import { InventoryProvider } from '../inventory/snapshot.js';
import type { NetworkUrl, PublicUrls } from './public-urls.js';
import { BootRenderer } from './render.js';
import type { TemplateSet } from './templates.js';

/** The boot inventory and rendering of one running instance. */
export interface BootService {
  provider: InventoryProvider;
  renderer: BootRenderer;
  /** The public URL of each boot network, and `http.publicUrl` for the rest (`public-urls.ts`). */
  publicUrls: PublicUrls;
  /** Generated files for the content chain (put it before static files). */
  contentHandler: ContentHandler;
  /** A dynamic lease's MAC for an address (hex-IP names), when a lease store is available. */
  macForIp?: (ip: string) => Promise<string | null>;
}

/** What the boot service is built from. */
export interface BootServiceParts {
  templates: TemplateSet;
  /** The server address and public HTTP URL rendered into files. */
  address: string;
  publicUrl: string;
  /** The boot networks' own public URLs (`dhcp.networks`); none: `publicUrl` for every client. */
  networkUrls?: readonly NetworkUrl[];
  /** The inventory documents of the config file. */
  configured: InventoryDocuments;
  /** Reads the stored inventory documents (merged over the configured ones on every refresh). */
  loadStored?: () => Promise<InventoryDocuments>;
  /** The store's inventory revision, so the service's own writes patch the inventory (`InventoryProvider`). */
  storedRevision?: () => Promise<number>;
  /** A leased address's MAC, for names that carry an address. */
  macForIp?: (ip: string) => Promise<string | null>;
  logger?: Logger;
}

/** Builds the boot service; with stored documents, loads them before returning. */
export async function createBootService(parts: BootServiceParts): Promise<BootService> {
  const renderer = new BootRenderer(parts.templates, { address: parts.address, publicUrl: parts.publicUrl });
  const publicUrls: PublicUrls = { fallback: parts.publicUrl, networks: parts.networkUrls ?? [] };
  const provider = new InventoryProvider(parts.configured, parts.loadStored, parts.storedRevision);
  await provider.refresh();
  const contentHandler = createGeneratedFilesHandler({
    provider,
    renderer,
    publicUrls,
    ...(parts.logger ? { logger: parts.logger } : {}),
    ...(parts.macForIp ? { macForIp: parts.macForIp } : {}),
  });
  return { provider, renderer, publicUrls, contentHandler, ...(parts.macForIp ? { macForIp: parts.macForIp } : {}) };
}
