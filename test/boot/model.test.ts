import { Value } from '@sinclair/typebox/value';
import { describe, expect, it } from 'vitest';
import { inventoryProblems } from '../../src/inventory/checks.js';
import { GroupSchema, HostSchema, ProfileSchema } from '../../src/inventory/model.js';
import { buildConfig } from '../../src/config/load.js';

const dom0 = { name: 'dom0', kind: 'xen-dom0', xen: { image: 'xen.gz', args: ['dom0_mem=512M'] }, dom0: { kernel: 'vmlinuz', initrds: ['initrd.img'] } };
const domu = { name: 'vm', kind: 'xen-domu', kernel: 'domu/vmlinuz', initrd: 'domu/initrd.img', args: ['root=/dev/xvda1'], disks: [{ target: '/dev/vg/{{name}}' }] };

function problems(inventory: unknown): string[] {
  const result = buildConfig({ inventory }, { baseDir: '/' });
  return result.ok ? [] : result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('inventory model', () => {
  it('accepts every profile kind with defaults filled in', () => {
    const result = buildConfig(
      {
        inventory: {
          profiles: [dom0, domu, { name: 'l', kind: 'linux', kernel: 'k' }, { name: 'lb', kind: 'localboot' }, { name: 'c', kind: 'custom', templates: { ipxe: 'mine' } }],
          hosts: [{ mac: '52-54-00-12-34-56', profile: 'dom0', labels: { rack: 'r1' } }],
          groups: [{ name: 'rack1', selector: { rack: 'r1' }, profile: 'dom0' }],
        },
      },
      { baseDir: '/' },
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [p0, p1] = result.config.inventory.profiles;
    expect(p0).toMatchObject({ bootif: true, ip: 'none', dom0: { args: [] } });
    expect(p1).toMatchObject({ memory: 512, vcpus: 1, bridge: 'xenbr0', disks: [{ type: 'phy', vdev: 'xvda', access: 'w' }] });
    expect(result.config.inventory.unknown).toEqual({ boot: 'nothing' });
  });

  it('reports the fields of the named kind instead of "expected union value"', () => {
    expect(problems({ profiles: [{ name: 'x', kind: 'xen-dom0', xen: { image: 'a b' }, dom0: {} }] })).toEqual([
      'inventory.profiles[0].xen.image: "a b" is not a path relative to the TFTP root, without spaces, leading `/` or `..` (e.g. `xen/xen-4.17-amd64.gz`)',
      'inventory.profiles[0].dom0.kernel: is required',
    ]);
    expect(problems({ profiles: [{ ...domu, disks: [] }] })).toEqual([expect.stringMatching(/^inventory\.profiles\[0\]\.disks: /)]);
  });

  it('reports cross-field problems with their paths', () => {
    expect(
      problems({
        profiles: [dom0, { ...domu, args: ['ro', 'nfsroot=10.0.0.1:/srv,vers=3'] }, { ...dom0 }],
        hosts: [
          { mac: '52-54-00-12-34-56', profile: 'dom0', uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d', ip: '10.0.0.5' },
          { mac: '525400123456', profile: 'nope', uuid: '085994b8-a6d6-a941-611d-74a6ab80b83d', ip: '10.0.0.5' },
        ],
        groups: [
          { name: 'a', selector: { rack: 'r1' }, profile: 'dom0' },
          { name: 'b', selector: { rack: 'r1' }, profile: 'missing' },
        ],
        unknown: { boot: 'profile' },
      }),
    ).toEqual([
      'inventory.profiles[1].args[0]: bare flag "ro": pypxeboot stores None under the previous key, so this token and the one before it are lost (use key=value)',
      'inventory.profiles[1].args[1]: "nfsroot=10.0.0.1:/srv,vers=3" has 2 "=": pypxeboot crashes on it (ValueError: too many values to unpack)',
      'inventory.profiles[2].name: duplicate profile name "dom0" (also profiles[0])',
      'inventory.hosts[1].mac: duplicate MAC 52:54:00:12:34:56 (also hosts[0])',
      'inventory.hosts[1].uuid: duplicate UUID 085994b8-a6d6-a941-611d-74a6ab80b83d (also hosts[0], possibly in the other byte order)',
      'inventory.hosts[1].ip: duplicate IP 10.0.0.5 (also hosts[0])',
      'inventory.hosts[1].profile: no profile named "nope"',
      'inventory.groups[1].selector: same selector as groups[0] ("a"): which one applies would depend on names',
      'inventory.groups[1].profile: no profile named "missing"',
      'inventory.unknown.profile: is required when unknown.boot is "profile"',
    ]);
  });

  it('exposes the same schemas and checks to the API', () => {
    expect(Value.Check(ProfileSchema, Value.Default(ProfileSchema, structuredClone(dom0)))).toBe(true);
    expect(Value.Check(HostSchema, { mac: 'nope' })).toBe(false);
    expect(Value.Check(GroupSchema, { name: 'g', selector: { 'bad key!': 'x' } })).toBe(false);
    expect(inventoryProblems({ profiles: [], hosts: [{ mac: '00:16:3e:00:00:01', profile: 'x' }], groups: [] })).toEqual([
      { path: 'hosts[0].profile', message: 'no profile named "x"' },
    ]);
  });
});
