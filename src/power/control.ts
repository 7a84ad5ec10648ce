/**
 * Power control of an inventory host: its BMC settings (`bmc` on the host), credentials by name, and the
 * configured limits make a client of the right protocol. "Boot from the network once, then cycle" is one
 * call, the order a BMC needs (the override is read by the firmware at the next power-on).
 */
import type { Bmc } from '../inventory/model.js';
import { ipmiClient, type IpmiRunner } from './ipmi.js';
import { redfishClient } from './redfish.js';
import { readCredentials } from './secrets.js';
import { PowerError, type PowerClient, type PowerLimits, type PowerState } from './types.js';

/** What power control needs besides the host's BMC. */
export interface PowerSettings {
  /** Absolute path of the secrets file, if configured. */
  secretsFile?: string;
  limits: PowerLimits;
  env?: NodeJS.ProcessEnv;
  /** Runs ipmitool (tests may replace it). */
  ipmiRunner?: IpmiRunner;
}

/** The client of a host's BMC; throws `PowerError('not-configured')` without one or without credentials. */
export function powerClientFor(bmc: Bmc | undefined, settings: PowerSettings, resolvePath: (path: string) => string = (p) => p): PowerClient {
  if (bmc === undefined) throw new PowerError('not-configured', 'the host has no BMC (bmc in its inventory entry)');
  const credentials = readCredentials(bmc.credentials, settings.secretsFile, settings.env);
  const common = { address: bmc.address, ...(bmc.port !== undefined ? { port: bmc.port } : {}), ...credentials, firmware: bmc.firmware ?? 'bios' };
  if (bmc.protocol === 'ipmi') return ipmiClient(common, settings.limits, settings.ipmiRunner);
  return redfishClient(
    { ...common, ...(bmc.system !== undefined ? { system: bmc.system } : {}), tlsVerify: bmc.tlsVerify !== false, ...(bmc.ca !== undefined ? { ca: resolvePath(bmc.ca) } : {}) },
    settings.limits,
  );
}

/**
 * Sets the next boot to the network (once) and power-cycles the host, or powers it on when it is off.
 * `before` is the power state if the caller has just read it (its first request to the BMC proves the
 * BMC answers and takes the credentials). Returns the power state found before.
 */
export async function networkBootNow(client: PowerClient, before?: PowerState): Promise<PowerState> {
  const state = before ?? (await client.status());
  await client.networkBootOnce();
  await client.power(state === 'on' ? 'cycle' : 'on');
  return state;
}
