/**
 * DHCP decode benchmark: the time to decode the worst datagram xenboot accepts (one option in one-byte
 * pieces, filling `MAX_DHCP_DATAGRAM`) against an ordinary PXE DISCOVER, and the time to read option areas
 * of one-byte pieces at doubling sizes (linear decoding doubles the time, quadratic quadruples it).
 *
 *   npx tsx bench/dhcp/decode.ts [iterations]
 */
import { decodeOptionArea, type DhcpOptions } from '../../src/dhcp/options.js';
import { decodePacket, MAX_DHCP_DATAGRAM } from '../../src/dhcp/packet.js';
import { normalPacket, worstCasePacket } from '../../lab/clients/dhcp-hostile-packets.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const iterations = Number(process.argv[2] ?? 2000);

/** Median milliseconds per call of `run` over `iterations` calls (after a warm-up). */
function timeMs(run: () => void, count: number): number {
  for (let i = 0; i < Math.min(50, count); i++) run();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

const normal = normalPacket();
const worst = worstCasePacket(MAX_DHCP_DATAGRAM);
const normalMs = timeMs(() => decodePacket(normal), iterations);
const worstMs = timeMs(() => decodePacket(worst), iterations);
console.log(`normal DISCOVER (${normal.length} B): ${normalMs.toFixed(4)} ms`);
console.log(`worst accepted datagram (${worst.length} B, ${Math.floor((worst.length - 244) / 3)} one-byte pieces): ${worstMs.toFixed(4)} ms (${(worstMs / normalMs).toFixed(1)}x normal)`);

// The option area alone, past the datagram limit, to show the growth: 64 KB is the packet.
console.log('option area of one-byte pieces (no datagram limit applies here):');
for (const size of [8192, 16384, 32768, 65536]) {
  const area = worstCasePacket(size + 244).subarray(240);
  const ms = timeMs(() => decodeOptionArea(area, 0, area.length, new Map() as DhcpOptions, 'bench'), Math.max(20, Math.floor(iterations / 20)));
  console.log(`  ${String(size).padStart(6)} B (${Math.floor(size / 3)} pieces): ${ms.toFixed(3)} ms`);
}
