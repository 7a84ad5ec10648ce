/**
 * A Redfish client of one BMC, over HTTPS with Node's own `https` (no dependency): HTTP Basic
 * authentication on every request (DSP0266 §13.3.2), JSON bodies. Resources (DMTF Redfish schema,
 * ComputerSystem v1.x):
 * - the system: `system`, or the only member of `/redfish/v1/Systems`;
 * - power: `PowerState` of the system; `POST <Actions["#ComputerSystem.Reset"].target>` with `ResetType`
 *   `On`, `ForceOff`, `GracefulShutdown`, and `PowerCycle` (or, where the BMC does not list it in
 *   `ResetType@Redfish.AllowableValues`, `ForceRestart` when on and `On` when off);
 * - the next boot: `PATCH` the system with `Boot: {BootSourceOverrideTarget: "Pxe",
 *   BootSourceOverrideEnabled: "Once", BootSourceOverrideMode: "UEFI" | "Legacy"}`, with `If-Match` when
 *   the system carried an ETag.
 * Every request has a time limit; only requests that got no answer are retried.
 */
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { PowerError, type PowerAction, type PowerClient, type PowerLimits, type PowerState } from './types.js';

/** Where and as whom to reach the BMC. */
export interface RedfishTarget {
  address: string;
  port?: number;
  username: string;
  password: string;
  firmware: 'bios' | 'uefi';
  system?: string;
  /** Check the certificate (default true). */
  tlsVerify?: boolean;
  /** PEM file of the CA or self-signed certificate the BMC presents. */
  ca?: string;
}

interface Answer {
  status: number;
  body: unknown;
  etag?: string;
}

const RESET_TYPES: Record<Exclude<PowerAction, 'cycle'>, string> = { on: 'On', off: 'ForceOff', 'soft-off': 'GracefulShutdown' };

/** A Redfish client of one BMC. */
export function redfishClient(target: RedfishTarget, limits: PowerLimits): PowerClient {
  const port = target.port ?? 443;
  const ca = target.ca === undefined ? undefined : readFileSync(target.ca);
  const authorization = `Basic ${Buffer.from(`${target.username}:${target.password}`, 'utf8').toString('base64')}`;
  const where = `${target.address}:${port}`;

  const once = (method: string, path: string, body: unknown, headers: Record<string, string>): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
      const req = httpsRequest(
        {
          host: target.address,
          port,
          path,
          method,
          rejectUnauthorized: target.tlsVerify !== false,
          ...(ca ? { ca } : {}),
          timeout: limits.timeoutMs,
          headers: {
            accept: 'application/json',
            authorization,
            'odata-version': '4.0',
            ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > 4 * 1024 * 1024) req.destroy(new PowerError('protocol', `the answer of ${where} is larger than 4 MiB`));
            else chunks.push(chunk);
          });
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            if (text.trim() !== '') {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            const etag = res.headers.etag;
            resolve({ status: res.statusCode ?? 0, body: parsed, ...(typeof etag === 'string' ? { etag } : {}) });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new PowerError('unreachable', `no answer from the Redfish service at ${where} within ${limits.timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (error instanceof PowerError) return reject(error);
        if (/CERT|certificate|self.signed|SSL|TLS/i.test(`${error.code ?? ''} ${error.message}`)) {
          return reject(new PowerError('refused', `the TLS certificate of ${where} is not trusted (${error.message}); set the host's bmc.ca to its CA`));
        }
        reject(new PowerError('unreachable', `cannot reach the Redfish service at ${where}: ${error.code ?? error.message}`));
      });
      if (payload) req.end(payload);
      else req.end();
    });

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    let last: PowerError | null = null;
    for (let attempt = 0; attempt <= limits.retries; attempt += 1) {
      let answer: Answer;
      try {
        answer = await once(method, path, body, headers);
      } catch (error) {
        if (error instanceof PowerError && error.code === 'unreachable') {
          last = error;
          continue;
        }
        throw error;
      }
      if (answer.status === 401 || answer.status === 403) throw new PowerError('credentials', `the Redfish service at ${where} refused the credentials (HTTP ${answer.status} on ${method} ${path})`);
      if (answer.status >= 400) throw new PowerError('refused', `the Redfish service at ${where} refused ${method} ${path}: HTTP ${answer.status}${redfishMessage(answer.body)}`);
      return answer;
    }
    throw last!;
  };

  let systemPath: string | null = target.system ?? null;
  const system = async (): Promise<{ path: string; body: Record<string, unknown>; etag?: string }> => {
    if (systemPath === null) {
      const { body } = await call('GET', '/redfish/v1/Systems');
      const members = (body as { Members?: Array<{ '@odata.id'?: unknown }> } | null)?.Members;
      if (!Array.isArray(members) || members.length === 0) throw new PowerError('protocol', `${where} lists no ComputerSystem under /redfish/v1/Systems`);
      if (members.length > 1) throw new PowerError('protocol', `${where} has ${members.length} systems: name one in the host's bmc.system`);
      const id = members[0]!['@odata.id'];
      if (typeof id !== 'string' || !id.startsWith('/redfish/v1/Systems/')) throw new PowerError('protocol', `${where} lists a system without a usable @odata.id`);
      systemPath = id;
    }
    const answer = await call('GET', systemPath);
    if (answer.body === null || typeof answer.body !== 'object') throw new PowerError('protocol', `${systemPath} on ${where} is not a JSON object`);
    return { path: systemPath, body: answer.body as Record<string, unknown>, ...(answer.etag ? { etag: answer.etag } : {}) };
  };

  const reset = async (choose: (allowed: string[] | null, state: PowerState) => string): Promise<void> => {
    const { path, body } = await system();
    const action = (body.Actions as Record<string, { target?: unknown; 'ResetType@Redfish.AllowableValues'?: unknown }> | undefined)?.['#ComputerSystem.Reset'];
    const targetPath = typeof action?.target === 'string' ? action.target : `${path}/Actions/ComputerSystem.Reset`;
    const allowedRaw = action?.['ResetType@Redfish.AllowableValues'];
    const allowed = Array.isArray(allowedRaw) ? allowedRaw.filter((v): v is string => typeof v === 'string') : null;
    const resetType = choose(allowed, powerStateOf(body, where));
    if (allowed !== null && !allowed.includes(resetType)) throw new PowerError('refused', `${where} does not offer ResetType ${resetType} (it offers ${allowed.join(', ')})`);
    await call('POST', targetPath, { ResetType: resetType });
  };

  return {
    protocol: 'redfish',
    async status() {
      return powerStateOf((await system()).body, where);
    },
    async power(action) {
      if (action === 'cycle') {
        await reset((allowed, state) => (allowed === null || allowed.includes('PowerCycle') ? 'PowerCycle' : state === 'on' ? 'ForceRestart' : 'On'));
      } else {
        await reset(() => RESET_TYPES[action]);
      }
    },
    async networkBootOnce() {
      const { path, etag } = await system();
      const boot = { BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once', BootSourceOverrideMode: target.firmware === 'uefi' ? 'UEFI' : 'Legacy' };
      await call('PATCH', path, { Boot: boot }, etag ? { 'if-match': etag } : {});
    },
  };
}

function powerStateOf(body: Record<string, unknown>, where: string): PowerState {
  const state = body.PowerState;
  if (state === 'On' || state === 'PoweringOn') return 'on';
  if (state === 'Off' || state === 'PoweringOff') return 'off';
  throw new PowerError('protocol', `the system at ${where} reports PowerState ${JSON.stringify(state)}`);
}

/** The first message of a Redfish error body (`error.@Message.ExtendedInfo[0].Message`), if any. */
function redfishMessage(body: unknown): string {
  const error = (body as { error?: { message?: unknown; '@Message.ExtendedInfo'?: Array<{ Message?: unknown }> } } | null)?.error;
  const text = error?.['@Message.ExtendedInfo']?.[0]?.Message ?? error?.message;
  return typeof text === 'string' ? `: ${text.slice(0, 300)}` : '';
}
