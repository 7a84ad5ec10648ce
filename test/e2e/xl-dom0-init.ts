/**
 * The `/init` scripts of the xl end-to-end case (busybox sh). dom0's does by hand what Debian's `xen`
 * init script and Xen CI's `qemu-alpine-x86_64.sh` do (modules, xenfs, `xenstored`, `xen-init-dom0`,
 * `xenconsoled` logging guest consoles to files), bridges its NIC as `xenbr0`, fetches `xenboot-pvboot`
 * and the xl config `xenboot domu-config` wrote from xenboot over HTTP, and then starts the domU with
 * `xl create` three times: as root, with `LIBXL_BOOTLOADER_RESTRICT` and with `LIBXL_BOOTLOADER_USER`
 * (Xen 4.17's spelling of `bootloader_restrict`/`bootloader_user`, xl(1) "ENVIRONMENT VARIABLES"); the
 * first run also `xl reboot`s the domU once the test has changed its profile. Everything dom0 sees is
 * printed on its console (the serial log) as `XL-E2E …` lines; every wait is bounded; dom0 powers off at
 * the end (or at the first failure), and Xen's `noreboot` ends QEMU.
 *
 * Parameters come from dom0's kernel command line: `xl.ip=` (dom0's address on xenbr0, CIDR),
 * `xl.server=` (xenboot's HTTP URL), `xl.cfg=` (the config's path under it), `xl.name=` (the domU),
 * `xl.round2=` (a token the profile's arguments hold once the test has changed it).
 */

/** Prefix of every line dom0's init prints for the test. */
export const XL_PREFIX = 'XL-E2E';
/** The domU's console lines. */
export const DOMU_CMDLINE_MARKER = 'XENBOOT-E2E-DOMU-CMDLINE';
export const DOMU_LEASE_MARKER = 'XENBOOT-E2E-DOMU-LEASE';

export const DOM0_INIT = String.raw`#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/usr/local/bin:/usr/lib/xen-4.17/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /var/run/xen /var/lib/xen /var/log/xen/console /run/xen /tmp /etc/xen
mount -t devpts devpts /dev/pts
# What udev would add: the hotplug scripts' locking.sh stats /dev/stdin.
ln -s /proc/self/fd /dev/fd; ln -s fd/0 /dev/stdin; ln -s fd/1 /dev/stdout; ln -s fd/2 /dev/stderr

say() { echo "${XL_PREFIX} $*"; }
now() { cut -d' ' -f1 /proc/uptime; }
arg() { for w in $(cat /proc/cmdline); do case "$w" in "xl.$1="*) echo "${'$'}{w#*=}";; esac; done; }
dump() {
  for f in /var/log/xen/*.log /var/log/xen/console/*.log; do [ -f "$f" ] && tail -n 40 "$f" | sed "s|^|${XL_PREFIX} log $f: |"; done
  dmesg | tail -n 25 | sed "s|^|${XL_PREFIX} dmesg: |"
}
# Userland crashes the kernel logged (the process, the fault and the library it was in).
crashes() { dmesg | grep -E 'segfault at|general protection|traps:' | sed "s|^|${XL_PREFIX} crash: |"; }
fail() { say "FAIL $*"; dump; crashes; say "END"; sync; poweroff -f; }

IP=$(arg ip); SERVER=$(arg server); CFG=$(arg cfg); NAME=$(arg name); ROUND2=$(arg round2)
say "start t=$(now) ip=$IP server=$SERVER"
say "cpu: $(grep -m 1 '^flags' /proc/cpuinfo | grep -o -w -E 'avx|avx2|fsgsbase|xsave|xsaveopt|xsavec|xsaves|pku|la57|erms|fsrm' | tr '\n' ' ')"
for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-netback xen-blkback llc stp bridge e1000; do
  insmod /lib/modules-e2e/$m.ko || fail "insmod $m"
done
insmod /lib/modules-e2e/brd.ko rd_nr=1 rd_size=8192 || fail "insmod brd"
mount -t xenfs xenfs /proc/xen || fail "mount xenfs"

xenstored --pid-file=/var/run/xen/xenstored.pid || fail "xenstored"
n=0; while [ ! -s /var/run/xen/xenstored.pid ]; do n=$((n+1)); [ $n -gt 100 ] && fail "xenstored pid file"; usleep 200000; done
xen-init-dom0 || fail "xen-init-dom0"
xenconsoled --pid-file=/var/run/xen/xenconsoled.pid --log=guest --log-dir=/var/log/xen/console || fail "xenconsoled"
say "toolstack up t=$(now)"

ip link set lo up
n=0; while [ ! -e /sys/class/net/eth0 ]; do n=$((n+1)); [ $n -gt 100 ] && fail "no eth0"; usleep 200000; done
brctl addbr xenbr0 || fail "brctl addbr"
brctl setfd xenbr0 0
brctl addif xenbr0 eth0 || fail "brctl addif"
ip link set eth0 up
ip addr add "$IP" dev xenbr0
ip link set xenbr0 up
n=0; until http-get "$SERVER/pvboot/xenboot-pvboot" /usr/local/bin/xenboot-pvboot; do
  n=$((n+1)); [ $n -gt 20 ] && fail "cannot fetch xenboot-pvboot from $SERVER"; sleep 1
done
chmod 755 /usr/local/bin/xenboot-pvboot
say "node $(node --version) xenboot-pvboot $(wc -c < /usr/local/bin/xenboot-pvboot) bytes"
http-get "$SERVER/$CFG" "/etc/xen/$NAME" || fail "cannot fetch $SERVER/$CFG"
sed "s|^|${XL_PREFIX} cfg: |" "/etc/xen/$NAME"
MAC=$(sed -n 's/.*mac=\([0-9a-fA-F:]*\).*/\1/p' "/etc/xen/$NAME" | head -n 1)
LOG=/var/log/xen/console/guest-$NAME.log

count() { c=$(grep -c "$1" "$LOG" 2>/dev/null); echo "${'$'}{c:-0}"; }
# wait_count PATTERN N SECONDS: until PATTERN has N lines in the domU's console log.
wait_count() {
  n=0; limit=$(($3 * 5))
  while [ "$(count "$1")" -lt "$2" ]; do n=$((n+1)); [ $n -gt $limit ] && return 1; usleep 200000; done
  return 0
}
# last PATTERN: the newest line of the domU's console log with PATTERN. Retried: a program of a PV guest
# under TCG now and then dies of SIGSEGV (the kernel's line is printed as "crash:"), which would print nothing.
last() {
  for attempt in 1 2 3; do
    line=$(grep "$1" "$LOG" | tail -n 1)
    [ -n "$line" ] && { echo "$line"; return 0; }
  done
  return 1
}
# seen LABEL N T0: the Nth marker and lease lines, with the time from T0.
seen() {
  wait_count ${DOMU_CMDLINE_MARKER} "$2" 300 || fail "no domU marker ($1)"
  t1=$(now)
  say "marker $1 seconds=$(awk "BEGIN { printf \"%.1f\", $t1 - $3 }")"
  say "domu $1: $(last ${DOMU_CMDLINE_MARKER})"
  wait_count ${DOMU_LEASE_MARKER} "$2" 120 || fail "no domU lease ($1)"
  say "domu $1: $(last ${DOMU_LEASE_MARKER})"
}
# create LABEL [VAR=value…]: xl create with libxl's environment, then the domU's marker and lease.
create() {
  label=$1; shift
  rm -f "$LOG"
  t0=$(now)
  say "create $label t=$t0"
  if ! env "$@" xl -vvv create "/etc/xen/$NAME" > /tmp/xl-$label.log 2>&1; then
    # Once more after a crash of xl itself (see last()), from a clean slate.
    tail -n 60 /tmp/xl-$label.log | sed "s|^|${XL_PREFIX} xl $label: |"
    crashes
    say "xl create ($label) failed: once more"
    xl destroy "$NAME" > /dev/null 2>&1
    rm -f "$LOG"
    env "$@" xl -vvv create "/etc/xen/$NAME" > /tmp/xl-$label.log 2>&1 || { tail -n 60 /tmp/xl-$label.log | sed "s|^|${XL_PREFIX} xl $label: |"; fail "xl create ($label)"; }
  fi
  grep -E 'bootloader arg: --runas|using uid' /tmp/xl-$label.log | sed "s|^|${XL_PREFIX} xl $label: |"
  seen "$label" 1 "$t0"
}
destroy() {
  xl destroy "$NAME" || fail "xl destroy"
  n=0; while xl list "$NAME" > /dev/null 2>&1; do n=$((n+1)); [ $n -gt 50 ] && fail "domU still there"; usleep 200000; done
}

create root
say "waiting for the profile change"
n=0; until http-get "$SERVER/api/v1/boot-spec/$MAC" - | grep -q "$ROUND2"; do
  n=$((n+1)); [ $n -gt 120 ] && fail "the profile was not changed"; sleep 1
done
t0=$(now)
say "reboot t=$t0"
xl reboot "$NAME" || fail "xl reboot"
seen reboot 2 "$t0"
destroy
create restrict LIBXL_BOOTLOADER_RESTRICT=1
destroy
create user LIBXL_BOOTLOADER_USER=xenboot-domu
destroy
crashes
say "END ok"
sync
poweroff -f
`;

/**
 * `http-get URL FILE|-` on dom0, with Node.js (static busybox's wget crashes in glibc's static NSS):
 * exit 1 and one line unless the answer is 200.
 */
export const HTTP_GET = String.raw`#!/usr/bin/node
const [url, file] = process.argv.slice(2);
const req = require('http').get(url, { timeout: 10000 }, (res) => {
  if (res.statusCode !== 200) {
    console.error(url + ': ' + res.statusCode);
    process.exit(1);
  }
  const out = file === '-' ? process.stdout : require('fs').createWriteStream(file);
  res.pipe(out);
  res.on('end', () => (file === '-' ? undefined : out.on('finish', () => process.exit(0))));
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (error) => {
  console.error(url + ': ' + error.message);
  process.exit(1);
});
`;

export const DOMU_LEASE_SCRIPT = String.raw`#!/bin/sh
[ "$1" = bound ] && echo "${DOMU_LEASE_MARKER} ip=$ip mac=$(cat /sys/class/net/$interface/address) server=$serverid"
exit 0
`;

export const DOMU_INIT = String.raw`#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# xl reboot: the kernel's orderly reboot runs /sbin/reboot, which signals init.
trap 'echo "XENBOOT-E2E-DOMU-REBOOTING"; reboot -f' TERM
echo "${DOMU_CMDLINE_MARKER} cmdline=[$(cat /proc/cmdline)]"
insmod /xen-netfront.ko
n=0; while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do usleep 200000; n=$((n+1)); done
ip link set eth0 up
# Up to three runs: udhcpc of a PV guest under TCG now and then dies of SIGSEGV (not a DHCP answer missing).
n=0
until udhcpc -i eth0 -f -q -n -t 8 -T 3 -s /lease.sh; do
  n=$((n+1)); [ $n -ge 3 ] && { echo "XENBOOT-E2E-DOMU-NOLEASE"; break; }
done
while :; do sleep 1; done
`;
