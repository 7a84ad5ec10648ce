/**
 * Schema of the `tftp` config section.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Ipv4, Port, StrictObject, type ConfigProblem } from '../config/types.js';
import { DEFAULT_MAX_WINDOW_BYTES } from './codec/options.js';

/** The `tftp` section: where the read-only TFTP server listens and how far it lets clients negotiate. */
export const TftpConfigSchema = StrictObject(
  {
    enabled: Type.Boolean({ default: true }),
    addresses: Type.Optional(
      Type.Array(Ipv4, {
        minItems: 1,
        uniqueItems: true,
        description: 'server addresses to listen on, one socket each (default: [server.address])',
      }),
    ),
    port: Type.Optional(Type.Union([Port, Type.Literal(0)], { description: 'default 69 as root, 6969 otherwise; 0 picks a free port' })),
    root: Type.String({ default: 'tftproot', description: 'directory served read-only; relative to the config file' }),
    maxBlksize: Type.Integer({ minimum: 512, maximum: 65464, default: 65464, description: 'RFC 2348 upper bound' }),
    maxWindowsize: Type.Integer({ minimum: 1, maximum: 65535, default: 64, description: 'RFC 7440 upper bound' }),
    maxWindowBytes: Type.Integer({
      minimum: 512,
      maximum: 64 * 1024 * 1024,
      default: DEFAULT_MAX_WINDOW_BYTES,
      description: 'upper bound for windowsize × blksize: the window is lowered to fit (never below one block), so that it fits a client’s receive buffer',
    }),
    timeoutMs: Type.Integer({ minimum: 50, maximum: 255_000, default: 1000, description: 'retransmit timeout when the client sends no timeout option' }),
    retries: Type.Integer({ minimum: 1, maximum: 50, default: 6, description: 'retransmissions before a transfer is abandoned' }),
    maxTransfers: Type.Integer({ minimum: 1, maximum: 100_000, default: 1024, description: 'concurrent transfers, all clients' }),
    maxTransfersPerClient: Type.Integer({ minimum: 1, maximum: 10_000, default: 64, description: 'concurrent transfers from one client IP (pypxeboot domUs share dom0’s IP)' }),
    maxQueued: Type.Integer({
      minimum: 0,
      maximum: 100_000,
      default: 4096,
      description: 'requests that may wait for a free transfer slot (boot ROMs do not retry after an ERROR); 0 answers "server busy" at once',
    }),
    queueTimeoutMs: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000, description: 'how long a request may wait for a slot' }),
    answerStrangers: Type.Boolean({ default: false, description: 'answer packets from an unknown port with ERROR 5 instead of dropping them' }),
    engine: Type.Union([Type.Literal('auto'), Type.Literal('native'), Type.Literal('dgram')], {
      default: 'auto',
      description: 'what drives transfer sockets: native (the xenboot_udp addon built by npm install), dgram (node:dgram), auto (native where built)',
    }),
  },
  { description: 'Read-only TFTP server (RFC 1350, 2347, 2348, 2349, 7440)' },
);

/** The validated `tftp` section. */
export type TftpConfig = Static<typeof TftpConfigSchema>;

/**
 * Cross-field checks of the `tftp` section. A wildcard listen address is refused: Node cannot tell which
 * local address a datagram on 0.0.0.0 was sent to, so replies could leave from another address, and
 * PXELINUX and tftpy drop those. Each server address gets its own socket instead.
 */
export function tftpConfigProblems(tftp: { enabled: boolean; addresses: readonly string[] }): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!tftp.enabled) return problems;
  tftp.addresses.forEach((address, index) => {
    if (address === '0.0.0.0') {
      problems.push({
        path: `tftp.addresses[${index}]`,
        message: '0.0.0.0 cannot be used: replies must come from the address the client sent to; list each server address',
      });
    }
  });
  return problems;
}
