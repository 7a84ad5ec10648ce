/**
 * HTTP boot endpoints: `GET /boot.ipxe?mac=&uuid=&arch=&platform=` (the machine's iPXE script),
 * `GET /api/v1/boot-spec/:mac` (kernel, ramdisk and args for `xenboot-pvboot`) and
 * `GET /api/v1/explain?mac=…` (the explain answer as JSON). The other generated files
 * (`/pxelinux.cfg/…`, `/grub/…`, `/ipxe/…`, `/xen-cfg/…`) reach HTTP clients through the shared content
 * chain, exactly as TFTP serves them. Errors are JSON `{statusCode, code, message}`.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { explainMachine, ExplainQueryError, type ExplainDeps } from '../../explain/explain.js';
import { subjectForMac } from '../../boot/answer.js';
import { answerGeneratedPath } from '../../boot/generated-files.js';
import { ipxePlatformFromQuery, ipxeScriptPath } from '../../boot/loaders/ipxe.js';
import type { BootService } from '../../boot/service.js';
import type { ContentHandler } from '../../content/types.js';
import { bootSpecFor, BootSpecError, withFileDigests } from '../../boot/boot-spec.js';
import { publicUrlFor, type PublicUrls } from '../../boot/public-urls.js';
import { parseMac } from '../../net/mac.js';
import { ExplainQuerySchema, ExplanationSchema } from './explain-schema.js';

/** What the boot routes need. */
export interface BootRouteDeps {
  boot: BootService;
  /** Explain's dependencies, built per request (the inventory changes). */
  explainDeps: () => ExplainDeps;
  /** The content chain the boot files are served from; with it, the boot spec carries sizes and SHA-256. */
  content?: ContentHandler;
}

/** Where `xenboot-pvboot` is served (`xenboot pvboot install` and a dom0's `wget` fetch it from here). */
export const PVBOOT_URL_PATH = '/pvboot/xenboot-pvboot';

/**
 * The single-file `xenboot-pvboot` (`npm run build:pvboot`, `dist/xenboot-pvboot.cjs` in the package), or
 * `null` when it has not been built.
 */
export function pvbootBundlePath(): string | null {
  // This file is src/http/routes/boot.ts, or dist/src/http/routes/boot.js in a built package.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 6; up++) {
    const candidate = join(dir, 'dist', 'xenboot-pvboot.cjs');
    if (existsSync(join(dir, 'package.json'))) return existsSync(candidate) ? candidate : null;
    dir = dirname(dir);
  }
  return null;
}

function fail(reply: FastifyReply, statusCode: number, code: string, message: string) {
  return reply.code(statusCode).type('application/json').send({ statusCode, code, message });
}

/**
 * The base URL written into answers: the public URL of the network whose address the request arrived on
 * (`dhcp.networks[].publicUrl` or its default; `http.publicUrl` for `server.address` and any other
 * address), unless it still names port 0 (the port was chosen at listen time), in which case the address
 * the client used to reach this server.
 */
export function baseUrlFor(request: FastifyRequest, urls: PublicUrls): string {
  const publicUrl = publicUrlFor(urls, request.socket.localAddress);
  if (!/:0$/.test(publicUrl)) return publicUrl;
  return `${request.protocol}://${request.host}`;
}

/** Registers the boot endpoints. */
export function bootRoutes(app: FastifyInstance, deps: BootRouteDeps): void {
  const urls = deps.boot.publicUrls;

  app.get<{ Querystring: { mac?: string; uuid?: string; arch?: string; platform?: string } }>('/boot.ipxe', async (request, reply) => {
    const query = request.query;
    const base = baseUrlFor(request, urls);
    const ctx = { inventory: deps.boot.provider.current(), renderer: deps.boot.renderer, ipxeBase: base, publicUrl: base };
    let path = 'boot.ipxe';
    if (query.mac !== undefined && query.mac !== '') {
      let mac = parseMac(query.mac);
      // iPXE sends ${uuid} too: a machine known only by its UUID still finds its host.
      if (mac !== null && !ctx.inventory.hostByMac(mac) && query.uuid) mac = ctx.inventory.hostByUuid(query.uuid)?.mac ?? mac;
      if (mac === null) return fail(reply, 400, 'bad-request', `mac: ${query.mac} is not a MAC address`);
      path = ipxeScriptPath(mac, ipxePlatformFromQuery(query));
    }
    const answer = await answerGeneratedPath(path, ctx);
    if (answer === null || answer.kind === 'not-found') return fail(reply, 404, 'not-found', answer?.why ?? `${path} is not generated`);
    if (answer.kind === 'refused') return fail(reply, 403, 'forbidden', answer.why);
    return reply.type('text/plain; charset=utf-8').send(answer.text);
  });

  app.get<{ Params: { mac: string } }>('/api/v1/boot-spec/:mac', async (request, reply) => {
    const mac = parseMac(request.params.mac);
    if (mac === null) return fail(reply, 400, 'bad-request', `${request.params.mac} is not a MAC address`);
    const found = subjectForMac(deps.boot.provider.current(), mac);
    if ('none' in found) return fail(reply, 404, 'not-found', found.none);
    try {
      const spec = bootSpecFor(found.subject, deps.boot.renderer, baseUrlFor(request, urls));
      const content = deps.content;
      if (content === undefined) return spec;
      const open = (path: string) => content({ path, rawPath: path, protocol: 'http', clientIp: request.ip, clientPort: 0, serverIp: '' });
      return await withFileDigests(spec, open);
    } catch (error) {
      if (error instanceof BootSpecError) return fail(reply, 422, 'missing-reference', error.message);
      throw error;
    }
  });

  app.get(PVBOOT_URL_PATH, async (_request, reply) => {
    const path = pvbootBundlePath();
    if (path === null) return fail(reply, 404, 'not-found', 'xenboot-pvboot is not built in this installation (npm run build)');
    return reply.type('application/javascript').header('content-length', statSync(path).size).send(createReadStream(path));
  });

  const explainSchema = {
    tags: ['explain'],
    summary: 'What a machine would get, and why: host, groups, profile, DHCP answer and every file it asks for',
    querystring: ExplainQuerySchema,
    response: { 200: ExplanationSchema },
  };
  app.get<{ Querystring: { mac?: string; uuid?: string; arch?: string; ip?: string; userClass?: string } }>('/api/v1/explain', { schema: explainSchema }, async (request, reply) => {
    const q = request.query;
    if (q.mac === undefined) return fail(reply, 400, 'bad-request', 'mac is required');
    const arch = q.arch === undefined || q.arch === '' ? undefined : Number(q.arch);
    if (arch !== undefined && (!Number.isInteger(arch) || arch < 0 || arch > 65535)) return fail(reply, 400, 'bad-request', `arch: ${q.arch} is not an option 93 number`);
    try {
      return await explainMachine(
        {
          mac: q.mac,
          ...(q.uuid ? { uuid: q.uuid } : {}),
          ...(arch !== undefined ? { arch } : {}),
          ...(q.ip ? { ip: q.ip } : {}),
          ...(q.userClass ? { userClass: q.userClass } : {}),
        },
        deps.explainDeps(),
      );
    } catch (error) {
      if (error instanceof ExplainQueryError) return fail(reply, 400, 'bad-request', error.message);
      throw error;
    }
  });
}
