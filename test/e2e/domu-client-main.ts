/**
 * pypxeboot as it runs in dom0, for the domU case: run inside the "dom0" namespace as
 * `node --import tsx test/e2e/domu-client-main.ts <mac as typed in the Xen config>`. It leases an address
 * for the domU's MAC with the udhcp 0.9.8 client, then runs pypxeboot's TFTP sequence against `siaddr`
 * (from dom0's address, not the leased one), and prints one JSON line with what it got.
 */
import { createHash } from 'node:crypto';
import { runPypxeboot } from '../clients/pypxeboot.js';
import { udhcpLease } from './udhcp-client.js';

async function main(): Promise<void> {
  const macAsTyped = process.argv[2] ?? '';
  const lease = await udhcpLease(macAsTyped.toLowerCase());
  if (lease.siaddr === '0.0.0.0') throw new Error('Missing next-server (siaddr)');
  const run = await runPypxeboot(macAsTyped, lease.ip, { host: lease.siaddr, port: 69, timeoutMs: 3_000, retries: 3 });
  const md5 = (data: Buffer) => createHash('md5').update(data).digest('hex');
  process.stdout.write(
    JSON.stringify({
      lease,
      requests: run.requests,
      config: run.config,
      sxp: run.sxp,
      kernel: { bytes: run.kernel.length, md5: md5(run.kernel) },
      ramdisk: run.ramdisk ? { bytes: run.ramdisk.length, md5: md5(run.ramdisk) } : null,
    }) + '\n',
  );
}

main().catch((error: unknown) => {
  process.stdout.write(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }) + '\n');
  process.exitCode = 1;
});
