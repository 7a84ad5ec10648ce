/**
 * A small Redfish service for the tests, laid out as DMTF's schema has it (DSP0266, ComputerSystem v1.x):
 * `/redfish/v1`, `/redfish/v1/Systems` (a collection with one member), `/redfish/v1/Systems/<id>` with
 * `PowerState`, `Boot` and `Actions["#ComputerSystem.Reset"]`, the Reset action's target, and `PATCH` of
 * the system's `Boot` object with `If-Match` against its ETag. It checks every request as a strict BMC
 * would (Basic credentials, JSON content type, known properties and allowable values, the ETag) and
 * answers a Redfish error object otherwise; it records what it accepted. HTTPS only, with a certificate
 * made by `openssl` at test time. This is not a BMC emulator: no Redfish BMC was run for these tests.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../lab/process.js';

/** What the service accepted, in order. */
export interface RedfishRecord {
  method: string;
  path: string;
  body?: unknown;
}

const ALLOWED_RESETS = ['On', 'ForceOff', 'GracefulShutdown', 'ForceRestart', 'PowerCycle'];
const BOOT_TARGETS = ['None', 'Pxe', 'Hdd', 'Cd', 'BiosSetup', 'UefiHttp'];

/** A running fake Redfish service. */
export interface RedfishService {
  port: number;
  /** PEM of its self-signed certificate (a client's `ca`). */
  caFile: string;
  accepted: RedfishRecord[];
  /** Every request that was refused, with the reason. */
  refused: Array<{ method: string; path: string; status: number; reason: string }>;
  state: { power: 'On' | 'Off'; boot: { BootSourceOverrideTarget: string; BootSourceOverrideEnabled: string; BootSourceOverrideMode: string }; etag: number };
  close(): Promise<void>;
}

/** Starts the service on 127.0.0.1 with the given credentials. */
export async function startRedfishService(credentials: { username: string; password: string }): Promise<RedfishService> {
  const dir = mkdtempSync(join(tmpdir(), 'xenboot-redfish-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  await runCommand('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { timeoutMs: 30_000 });
  const service: RedfishService = {
    port: 0,
    caFile: cert,
    accepted: [],
    refused: [],
    state: { power: 'On', boot: { BootSourceOverrideTarget: 'None', BootSourceOverrideEnabled: 'Disabled', BootSourceOverrideMode: 'UEFI' }, etag: 1 },
    close: async () => {},
  };
  const system = '/redfish/v1/Systems/437XR1138R2';
  const expected = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;

  const reply = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'odata-version': '4.0', ...headers });
    res.end(text);
  };
  const error = (req: IncomingMessage, res: ServerResponse, status: number, reason: string) => {
    service.refused.push({ method: req.method ?? '', path: req.url ?? '', status, reason });
    reply(res, status, { error: { code: 'Base.1.8.GeneralError', message: reason, '@Message.ExtendedInfo': [{ MessageId: 'Base.1.8.GeneralError', Message: reason }] } });
  };
  const systemBody = () => ({
    '@odata.id': system,
    '@odata.type': '#ComputerSystem.v1_13_0.ComputerSystem',
    Id: '437XR1138R2',
    Name: 'xenboot test system',
    PowerState: service.state.power,
    Boot: { ...service.state.boot, 'BootSourceOverrideTarget@Redfish.AllowableValues': BOOT_TARGETS },
    Actions: { '#ComputerSystem.Reset': { target: `${system}/Actions/ComputerSystem.Reset`, 'ResetType@Redfish.AllowableValues': ALLOWED_RESETS } },
  });

  const server: Server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const method = req.method ?? '';
      const path = (req.url ?? '').replace(/\?.*$/, '');
      if (path === '/redfish/v1' || path === '/redfish/v1/') return reply(res, 200, { '@odata.id': '/redfish/v1', RedfishVersion: '1.11.0', Systems: { '@odata.id': '/redfish/v1/Systems' } });
      if (req.headers.authorization !== expected) return error(req, res, 401, 'authentication required');
      let body: unknown;
      if (method === 'POST' || method === 'PATCH') {
        if (!/^application\/json/.test(req.headers['content-type'] ?? '')) return error(req, res, 415, 'the body must be application/json');
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return error(req, res, 400, 'the body is not JSON');
        }
      }
      if (path === '/redfish/v1/Systems' && method === 'GET') {
        service.accepted.push({ method, path });
        return reply(res, 200, { '@odata.id': '/redfish/v1/Systems', 'Members@odata.count': 1, Members: [{ '@odata.id': system }] });
      }
      if (path === system && method === 'GET') {
        service.accepted.push({ method, path });
        return reply(res, 200, systemBody(), { etag: `W/"${service.state.etag}"` });
      }
      if (path === system && method === 'PATCH') {
        if (req.headers['if-match'] !== `W/"${service.state.etag}"`) return error(req, res, 412, `If-Match must be the current ETag W/"${service.state.etag}"`);
        const boot = (body as { Boot?: Record<string, unknown> }).Boot;
        const keys = Object.keys(body as object);
        if (keys.length !== 1 || keys[0] !== 'Boot' || !boot) return error(req, res, 400, `only Boot may be patched here (got ${keys.join(', ')})`);
        for (const [k, v] of Object.entries(boot)) {
          if (k === 'BootSourceOverrideTarget' && !BOOT_TARGETS.includes(v as string)) return error(req, res, 400, `BootSourceOverrideTarget ${String(v)} is not allowed`);
          if (k === 'BootSourceOverrideEnabled' && !['Disabled', 'Once', 'Continuous'].includes(v as string)) return error(req, res, 400, `BootSourceOverrideEnabled ${String(v)} is not allowed`);
          if (k === 'BootSourceOverrideMode' && !['Legacy', 'UEFI'].includes(v as string)) return error(req, res, 400, `BootSourceOverrideMode ${String(v)} is not allowed`);
          if (!['BootSourceOverrideTarget', 'BootSourceOverrideEnabled', 'BootSourceOverrideMode'].includes(k)) return error(req, res, 400, `Boot.${k} is read-only or unknown`);
        }
        Object.assign(service.state.boot, boot);
        service.state.etag += 1;
        service.accepted.push({ method, path, body });
        return reply(res, 204);
      }
      if (path === `${system}/Actions/ComputerSystem.Reset` && method === 'POST') {
        const type = (body as { ResetType?: unknown }).ResetType;
        if (typeof type !== 'string' || !ALLOWED_RESETS.includes(type)) return error(req, res, 400, `ResetType ${String(type)} is not allowed`);
        if (Object.keys(body as object).length !== 1) return error(req, res, 400, 'only ResetType is accepted');
        service.state.power = type === 'ForceOff' || type === 'GracefulShutdown' ? 'Off' : 'On';
        service.state.etag += 1;
        service.accepted.push({ method, path, body });
        return reply(res, 204);
      }
      return error(req, res, method === 'GET' ? 404 : 405, `${method} ${path} is not a resource of this service`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  service.port = (server.address() as AddressInfo).port;
  service.close = async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    rmSync(dir, { recursive: true, force: true });
  };
  return service;
}
