/**
 * A boot network carried by an 802.1Q VLAN sub-interface, on a kernel that has 802.1Q. This machine's
 * kernel has no `8021q` (test/dhcp/networks.test.ts then runs network B on a plain veth and reports its
 * VLAN case skipped), so this case runs the same topology inside a QEMU guest under Debian's kernel, with
 * this machine's own `node`, xenboot build, iproute2, busybox `udhcpc`, ISC `dhclient` and `tcpdump`
 * (lab/qemu/kernel-guest.ts). In the guest: network A is a bridge with a veth to client namespace `ca`;
 * network B is a bridge whose only port is `trunk.30`, VLAN 30 on a veth trunk whose other end carries
 * `trunk-c.30` in client namespace `cb`. xenboot serves A as its main subnet and B through
 * `dhcp.networks` (interface br-b). Each client must get its own network's address, router and server
 * address, and the frames on the trunk must carry the 802.1Q tag.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKernelGuestAssets, runKernelGuest, type KernelGuestResult } from '../../lab/qemu/kernel-guest.js';
import { tail } from '../../lab/qemu/qemu.js';
import { requireCommands } from '../../lab/process.js';
import { repoRoot, serviceNodeOptions } from '../../lab/xenboot.js';

const A = { server: '10.209.0.1', router: '10.209.0.254', subnet: '10.209.0.0/24', range: /^10\.209\.0\.(1[0-4]\d)$/ };
const B = { server: '10.210.0.1', router: '10.210.0.254', subnet: '10.210.0.0/24', range: /^10\.210\.0\.(1[0-4]\d)$/ };

/** xenboot's configuration in the guest: A is the main subnet, B a network on bridge br-b. */
const CONFIG = {
  server: { address: A.server, user: 'root' },
  log: { level: 'debug', format: 'json' },
  http: { port: 0, readAccess: 'open' },
  tftp: { port: 0, root: '/xenboot-vlan/tftp' },
  store: { kind: 'sqlite', path: '/xenboot-vlan/xenboot.db' },
  dhcp: {
    mode: 'full',
    subnet: A.subnet,
    ranges: [{ start: '10.209.0.100', end: '10.209.0.149' }],
    router: A.router,
    networks: [{ interface: 'br-b', serverAddress: B.server, subnet: B.subnet, ranges: [{ start: '10.210.0.100', end: '10.210.0.149' }], router: B.router }],
  },
};

/**
 * The script the guest runs. Every result line starts with `XBV <what>`; each wait is bounded. xenboot
 * runs from the build, with the service's Node options, as `npm start` runs it.
 */
function guestScript(): string {
  const node = [process.execPath, ...serviceNodeOptions(), 'dist/src/cli.js'].join(' ');
  return String.raw`
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
X=/xenboot-vlan
mkdir -p $X/tftp
say() { echo "XBV $*"; }
fail() { say "failed: $*"; exit 1; }
# The clients' scripts append what they were given to $X/results, printed at the end.
printf '%s\n' '#!/bin/sh' 'echo "XBV udhcpc-$TAG event=$1 ip=$ip siaddr=$siaddr serverid=$serverid router=$router subnet=$subnet" >> /xenboot-vlan/results' > $X/udhcpc.sh
# dhclient gives its script only its own variables, so each client gets a script naming it.
for tag in a b; do
  printf '%s\n' '#!/bin/sh' "echo \"XBV dhclient-$tag reason=\$reason ip=\$new_ip_address next_server=\$new_next_server server_id=\$new_dhcp_server_identifier routers=\$new_routers\" >> /xenboot-vlan/results" > $X/dhclient-$tag.sh
done
echo "served on VLAN 30" > $X/tftp/hello.txt
chmod +x $X/*.sh
cat > $X/xenboot.json <<'EOF'
${JSON.stringify(CONFIG)}
EOF

ip link set lo up || fail "lo"
ip netns add ca && ip netns add cb || fail "ip netns add"
# Network A: a bridge with a veth to ca.
ip link add br-a type bridge && ip addr add ${A.server}/24 dev br-a && ip link set br-a up || fail "br-a"
ip link add va type veth peer name va-c && ip link set va master br-a && ip link set va up && ip link set va-c netns ca || fail "va"
ip -n ca link set lo up && ip -n ca link set va-c up || fail "va-c"
# Network B: VLAN 30 on a veth trunk, the bridge's only port on this side, cb's interface on the other.
ip link add trunk type veth peer name trunk-c && ip link set trunk-c netns cb || fail "trunk"
ip link add link trunk name trunk.30 type vlan id 30 || fail "trunk.30"
ip link add br-b type bridge && ip addr add ${B.server}/24 dev br-b || fail "br-b"
ip link set trunk.30 master br-b && ip link set trunk up && ip link set trunk.30 up && ip link set br-b up || fail "br-b ports"
ip -n cb link set lo up && ip -n cb link set trunk-c up || fail "trunk-c"
ip -n cb link add link trunk-c name trunk-c.30 type vlan id 30 && ip -n cb link set trunk-c.30 up || fail "trunk-c.30"
say "link-server $(ip -d link show trunk.30 | tr '\n' ' ')"
say "link-client $(ip -n cb -d link show trunk-c.30 | tr '\n' ' ')"

cd ${repoRoot} || fail "cd"
NODE_NO_WARNINGS=1 ${node} serve --config $X/xenboot.json > $X/xenboot.log 2>&1 &
XB=$!
i=0
while [ $i -lt 400 ] && ! grep -q 'xenboot started' $X/xenboot.log; do kill -0 $XB 2>/dev/null || break; sleep 1; i=$((i+1)); done
if ! grep -q 'xenboot started' $X/xenboot.log; then tail -n 40 $X/xenboot.log; fail "xenboot did not start"; fi
say "xenboot-started after=$i"

# The tagged frames on the trunk, both ways.
timeout 300 tcpdump -i trunk -e -n -l -c 4 'vlan 30 and udp and (port 67 or port 68)' > $X/tcpdump.txt 2> $X/tcpdump.err &
TD=$!
i=0
while [ $i -lt 60 ] && ! grep -q 'listening on' $X/tcpdump.err; do sleep 1; i=$((i+1)); done

ip netns exec cb env TAG=b timeout 120 busybox udhcpc -f -q -n -i trunk-c.30 -s $X/udhcpc.sh -t 4 -T 3 -A 1 2>&1 | sed 's/^/XBO udhcpc-b: /'
ip netns exec ca env TAG=a timeout 120 busybox udhcpc -f -q -n -i va-c -s $X/udhcpc.sh -t 4 -T 3 -A 1 2>&1 | sed 's/^/XBO udhcpc-a: /'
# -1: one try; without -d dhclient returns once bound and leaves a daemon, stopped by its PID file.
dhclient_on() {
  ip netns exec $3 timeout 120 dhclient -1 -v -sf $X/dhclient-$1.sh -pf $X/dhclient-$1.pid -lf $X/dhclient-$1.leases $2 > $X/dhclient-$1.out 2>&1
  sed "s/^/XBO dhclient-$1: /" $X/dhclient-$1.out
  [ -s $X/dhclient-$1.pid ] && kill $(cat $X/dhclient-$1.pid)
}
dhclient_on b trunk-c.30 cb
dhclient_on a va-c ca

# TFTP (tftp-hpa) and HTTP (curl) from the VLAN client to network B's server address.
ip -n cb addr add 10.210.0.9/24 dev trunk-c.30
port_of() { sed -n "s/.*\"protocol\":\"$1\",\"address\":\"${B.server}\",\"port\":\([0-9]*\).*/\1/p" $X/xenboot.log | head -n 1; }
ip netns exec cb timeout 60 tftp -m binary ${B.server} $(port_of tftp) -c get hello.txt $X/got.txt
say "tftp-b $(cat $X/got.txt 2>/dev/null)"
say "http-b $(ip netns exec cb curl -sS -m 30 -o /dev/null -w '%{http_code}' http://${B.server}:$(port_of http)/healthz)"

i=0
while [ $i -lt 20 ] && kill -0 $TD 2>/dev/null; do sleep 1; i=$((i+1)); done
kill $TD 2>/dev/null
cat $X/results
sed 's/^/XBV tcpdump /' $X/tcpdump.txt
grep '"reply":"ACK"' $X/xenboot.log | sed 's/^/XBV xenboot-ack /'
kill $XB
i=0
while [ $i -lt 30 ] && kill -0 $XB 2>/dev/null; do sleep 1; i=$((i+1)); done
kill -9 $XB 2>/dev/null
ip netns del ca
ip netns del cb
say end
`;
}

/** The `XBV <what> …` lines whose `<what>` is `what`, without the prefix. */
function lines(serial: string, what: string): string[] {
  return serial
    .split(/\r?\n/)
    .filter((line) => line.startsWith(`XBV ${what} `) || line === `XBV ${what}`)
    .map((line) => line.slice(`XBV ${what} `.length));
}

/** `key=value` fields of a result line. */
function fields(line: string | undefined): Record<string, string> {
  return Object.fromEntries((line ?? '').split(' ').map((pair) => pair.split('=')).filter((kv) => kv.length === 2) as Array<[string, string]>);
}

describe('a boot network on an 802.1Q VLAN sub-interface (Debian kernel in QEMU)', () => {
  let dir: string;
  let result: KernelGuestResult;

  beforeAll(async () => {
    await requireCommands('qemu-system-x86_64', 'apt-get', 'dpkg-deb', 'depmod', 'ip', 'busybox', 'dhclient', 'tcpdump', 'tftp', 'curl');
    if (!existsSync(join(repoRoot, 'dist', 'src', 'cli.js'))) throw new Error('the guest runs xenboot from its build: run npm run build first');
    const assets = await ensureKernelGuestAssets();
    dir = mkdtempSync(join(tmpdir(), 'xenboot-vlan-guest-'));
    result = await runKernelGuest(assets, { name: 'vlan', script: guestScript(), workDir: dir, timeoutMs: 900_000, memoryMiB: 1536 });
  }, 1_200_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the guest ran the whole script', () => {
    expect(result.timedOut, tail(result.serial)).toBe(false);
    expect(lines(result.serial, 'failed:'), tail(result.serial)).toEqual([]);
    expect(result.status, tail(result.serial)).toBe(0);
    expect(result.serial).toContain('XBV end');
  });

  it('network B’s ports are 802.1Q VLAN 30 sub-interfaces on both sides', () => {
    expect(lines(result.serial, 'link-server')[0]).toMatch(/trunk\.30@trunk: .*vlan protocol 802\.1Q id 30/);
    expect(lines(result.serial, 'link-client')[0]).toMatch(/trunk-c\.30@.*vlan protocol 802\.1Q id 30/);
  });

  it('busybox udhcpc on VLAN 30 gets an address of B, its router and server address', () => {
    const bound = fields(lines(result.serial, 'udhcpc-b').find((l) => l.startsWith('event=bound')));
    expect(bound.ip, tail(result.serial)).toMatch(B.range);
    expect(bound).toMatchObject({ siaddr: B.server, serverid: B.server, router: B.router, subnet: '255.255.255.0' });
  });

  it('ISC dhclient on VLAN 30 gets network B', () => {
    const bound = fields(lines(result.serial, 'dhclient-b').find((l) => l.startsWith('reason=BOUND')));
    expect(bound.ip, tail(result.serial)).toMatch(B.range);
    expect(bound).toMatchObject({ next_server: B.server, server_id: B.server, routers: B.router });
  });

  it('the clients of the untagged network A get network A', () => {
    const udhcpc = fields(lines(result.serial, 'udhcpc-a').find((l) => l.startsWith('event=bound')));
    expect(udhcpc.ip, tail(result.serial)).toMatch(A.range);
    expect(udhcpc).toMatchObject({ siaddr: A.server, serverid: A.server, router: A.router });
    const dhclient = fields(lines(result.serial, 'dhclient-a').find((l) => l.startsWith('reason=BOUND')));
    expect(dhclient.ip).toMatch(A.range);
    expect(dhclient).toMatchObject({ next_server: A.server, server_id: A.server, routers: A.router });
  });

  it('TFTP and HTTP answer on network B’s address over the VLAN', () => {
    expect(lines(result.serial, 'tftp-b'), tail(result.serial)).toEqual(['served on VLAN 30']);
    expect(lines(result.serial, 'http-b')).toEqual(['200']);
  });

  it('the DHCP frames on the trunk carry the 802.1Q tag, both ways', () => {
    const frames = lines(result.serial, 'tcpdump');
    expect(frames.some((f) => /ethertype 802\.1Q .*vlan 30,.*0\.0\.0\.0\.68 > 255\.255\.255\.255\.67/.test(f)), frames.join('\n')).toBe(true);
    expect(frames.some((f) => new RegExp(`ethertype 802\\.1Q .*vlan 30,.*${B.server.replace(/\./g, '\\.')}\\.67 > `).test(f)), frames.join('\n')).toBe(true);
  });

  it('xenboot logged each ACK against its own network', () => {
    const acks = lines(result.serial, 'xenboot-ack').map((l) => JSON.parse(l) as { yiaddr?: string });
    expect(acks.filter((a) => B.range.test(a.yiaddr ?? '')).length).toBeGreaterThanOrEqual(2);
    expect(acks.filter((a) => A.range.test(a.yiaddr ?? '')).length).toBeGreaterThanOrEqual(2);
    expect(acks.every((a) => A.range.test(a.yiaddr ?? '') || B.range.test(a.yiaddr ?? ''))).toBe(true);
  });
});
