/**
 * An iSCSI target for a boot lab: Debian's `tgtd` (the user-space SCSI target framework) exporting a disk
 * image as LUN 1 of one target, open to every initiator. tgt keeps LUN 0 for its controller, so the disk
 * a client boots from is LUN 1 (`root.lun: 1` in the profile).
 *
 * tgtd and the `tgtadm` calls that configure it run in the lab host's network namespace inside one
 * `unshare --mount --pid --fork --kill-child`, with a private tmpfs on `/run` for tgtd's management socket
 * and lock, so nothing touches the host's files; stopping the one process by its PID ends the PID
 * namespace and tgtd with it.
 */
import type { Namespace } from '../netns.js';
import type { RunningProcess } from '../process.js';

/** What to export. */
export interface IscsiTargetOptions {
  /** The disk image (a raw file). */
  image: string;
  /** The target's name (`iqn.…`). */
  iqn: string;
  /** The address tgtd listens on (port 3260). */
  address: string;
}

/** Starts tgtd in `ns`, creates the target and its LUN, and waits until both exist. */
export async function startIscsiTarget(ns: Namespace, options: IscsiTargetOptions): Promise<RunningProcess> {
  if (!/^iqn\.[a-z0-9.:-]+$/.test(options.iqn)) throw new Error(`bad target name ${options.iqn}`);
  const script = [
    'set -e',
    'mount -t tmpfs tmpfs /run',
    'tgtd -f --iscsi "portal=$3:3260" &',
    // Bounded wait: 100 × 0.1 s for the management socket.
    'i=0',
    'until tgtadm --lld iscsi --mode sys --op show >/dev/null 2>&1; do',
    '  i=$((i + 1)); [ "$i" -le 100 ] || { echo "TGT-FAILED"; exit 1; }; sleep 0.1',
    'done',
    'tgtadm --lld iscsi --mode target --op new --tid 1 --targetname "$2"',
    'tgtadm --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 --backing-store "$1"',
    'tgtadm --lld iscsi --mode target --op bind --tid 1 --initiator-address ALL',
    'tgtadm --lld iscsi --mode target --op show',
    'echo "TGT-READY"',
    'wait',
  ].join('\n');
  const proc = ns.spawn('unshare', ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', script, 'sh', options.image, options.iqn, options.address]);
  await proc.waitFor(/TGT-READY/, 60_000);
  return proc;
}
