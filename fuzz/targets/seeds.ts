/**
 * Where the targets' starting inputs come from: the real-client captures kept with the tests
 * (`test/fixtures/captures`, `test/fixtures/dhcp`) and the shared fixtures beside the repository
 * (`../shared/fixtures/captures`), and the YAML examples in the README and `docs/`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPcapUdp } from '../../lab/pcap.js';
import { repoRoot } from '../../lab/xenboot.js';

/** Folders holding pcap files of real boot clients. */
export const CAPTURE_DIRS = [
  join(repoRoot, 'test', 'fixtures', 'captures'),
  join(repoRoot, 'test', 'fixtures', 'dhcp'),
  join(repoRoot, '..', 'shared', 'fixtures', 'captures'),
];

function distinct(inputs: Buffer[]): Buffer[] {
  const seen = new Set<string>();
  return inputs.filter((input) => {
    const hash = createHash('sha1').update(input).digest('hex');
    if (seen.has(hash)) return false;
    seen.add(hash);
    return true;
  });
}

/** The UDP payloads of every captured datagram for which `wanted(srcPort, dstPort)` holds, once each. */
export function capturedPayloads(wanted: (srcPort: number, dstPort: number) => boolean): Buffer[] {
  const payloads: Buffer[] = [];
  for (const dir of CAPTURE_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pcap')).sort()) {
      for (const datagram of readPcapUdp(join(dir, name))) {
        if (wanted(datagram.srcPort, datagram.dstPort)) payloads.push(datagram.payload);
      }
    }
  }
  return distinct(payloads);
}

/** The contents of every fenced ```yaml block of the README and `docs/*.md`. */
export function documentedYaml(): Buffer[] {
  const files = [join(repoRoot, 'README.md'), ...readdirSync(join(repoRoot, 'docs')).filter((n) => n.endsWith('.md')).map((n) => join(repoRoot, 'docs', n))];
  const blocks: Buffer[] = [];
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(/^```ya?ml\n([\s\S]*?)^```/gm)) blocks.push(Buffer.from(match[1]!));
  }
  return distinct(blocks);
}

/** Text seeds as buffers. */
export function texts(...values: string[]): Buffer[] {
  return values.map((value) => Buffer.from(value, 'utf8'));
}
