/**
 * The kernel guest's pure parts: the module load order read from `modules.dep`, and the initramfs's
 * init (what it mounts and runs). The guest itself runs in test/e2e/vlan-networks.slow.test.ts.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildKernelGuestInitramfs, KERNEL_GUEST_DONE, moduleLoadOrder } from '../../lab/qemu/kernel-guest.js';

// The shape depmod writes (Debian 6.1): a module's dependencies, the one to load first last.
const MODULES_DEP = [
  'kernel/net/8021q/8021q.ko: kernel/net/802/garp.ko kernel/net/802/stp.ko kernel/net/802/mrp.ko kernel/net/llc/llc.ko',
  'kernel/net/802/garp.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko',
  'kernel/net/802/stp.ko: kernel/net/llc/llc.ko',
  'kernel/net/802/mrp.ko:',
  'kernel/net/llc/llc.ko:',
  'kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko',
  'kernel/drivers/net/veth.ko:',
  '',
].join('\n');

describe('moduleLoadOrder', () => {
  it('puts every dependency before the module that needs it, each module once', () => {
    const order = moduleLoadOrder(MODULES_DEP, ['8021q', 'bridge', 'veth']);
    expect(new Set(order).size).toBe(order.length);
    expect(order).toHaveLength(7);
    const at = (name: string) => order.findIndex((path) => path.endsWith(`/${name}.ko`));
    expect(at('llc')).toBeLessThan(at('stp'));
    expect(at('stp')).toBeLessThan(at('garp'));
    for (const dependency of ['garp', 'stp', 'mrp', 'llc']) expect(at(dependency)).toBeLessThan(at('8021q'));
    expect(at('stp')).toBeLessThan(at('bridge'));
  });

  it('names a module modules.dep does not have', () => {
    expect(() => moduleLoadOrder(MODULES_DEP, ['9p'])).toThrow(/no module 9p/);
  });
});

describe('buildKernelGuestInitramfs', () => {
  it('holds busybox, the modules in order, an init that chroots into the host root under a tmpfs overlay, and the script', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xenboot-kernel-guest-'));
    try {
      mkdirSync(join(dir, 'modules'));
      writeFileSync(join(dir, 'modules', 'order'), 'llc\nstp\n');
      writeFileSync(join(dir, 'modules', 'llc.ko'), 'LLC');
      writeFileSync(join(dir, 'modules', 'stp.ko'), 'STP');
      writeFileSync(join(dir, 'busybox'), 'BUSYBOX');
      const archive = buildKernelGuestInitramfs(
        { dir, vmlinuz: join(dir, 'vmlinuz'), busybox: join(dir, 'busybox'), modulesDir: join(dir, 'modules'), kernelVersion: '6.1.0-57-amd64', versions: {} },
        'echo the script\n',
      ).toString('latin1');
      for (const member of ['bin/busybox', 'modules/llc.ko', 'modules/stp.ko', 'init', 'guest.sh', 'dev/console']) expect(archive).toContain(`${member}\0`);
      expect(archive).toContain('for m in llc stp; do');
      expect(archive).toMatch(/mount -t 9p -o trans=virtio,version=9p2000\.L,ro,[^ ]* hostroot \/lower/);
      expect(archive).toContain('mount -t overlay -o lowerdir=/lower,upperdir=/upper/root,workdir=/upper/work overlay /host');
      expect(archive).toContain('chroot /host /bin/sh /xenboot-guest.sh');
      expect(archive).toContain(`${KERNEL_GUEST_DONE} status=$?`);
      expect(archive).toContain('echo the script\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
