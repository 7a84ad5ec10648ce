/**
 * Power control of one host through its BMC: the operations every protocol offers, and the one error
 * type they all raise, with a code an operator (and the API) can act on.
 */

/** A host's power as its BMC reports it. */
export type PowerState = 'on' | 'off';

/** What can be asked of a BMC. */
export type PowerAction = 'on' | 'off' | 'soft-off' | 'cycle';

/** Every action, for validation. */
export const POWER_ACTIONS: readonly PowerAction[] = ['on', 'off', 'soft-off', 'cycle'];

/** One BMC, reached with its credentials. */
export interface PowerClient {
  /** `ipmi` or `redfish`. */
  readonly protocol: string;
  status(): Promise<PowerState>;
  power(action: PowerAction): Promise<void>;
  /** The next boot (only) from the network: IPMI boot device PXE, Redfish `BootSourceOverrideTarget: Pxe`, `Once`. */
  networkBootOnce(): Promise<void>;
}

/** Why a BMC request failed. */
export type PowerErrorCode =
  /** Nothing answered in time: the BMC is down, unreachable, or the address is wrong. */
  | 'unreachable'
  /** The BMC refused the credentials. */
  | 'credentials'
  /** The BMC answered but refused the request (unsupported, invalid in its state). */
  | 'refused'
  /** No credentials for the host (secrets file or environment), or no BMC configured. */
  | 'not-configured'
  /** The BMC's answer made no sense (not Redfish, unexpected output). */
  | 'protocol';

/** A failed BMC request; the message never holds a credential. */
export class PowerError extends Error {
  constructor(
    readonly code: PowerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PowerError';
  }
}

/** Limits of every BMC request. */
export interface PowerLimits {
  /** One attempt's time limit. */
  timeoutMs: number;
  /** Further attempts after a timeout (never after a refusal: retrying wrong credentials locks accounts). */
  retries: number;
}
