/**
 * An NFS server for a boot lab: Debian's nfs-ganesha (FSAL VFS) with rpcbind, exporting a copy of a
 * directory read-only at `/srv/<name>` (NFSv3 and v4, TCP and UDP). klibc's `nfsmount`, which Debian's
 * initramfs uses for `boot=nfs`, speaks NFSv3 and asks the portmapper for mountd, hence rpcbind.
 *
 * Both daemons run in the lab host's network namespace, inside one `unshare --mount --pid --fork
 * --kill-child`: `/run` (rpcbind's socket, which ganesha registers through), `/var/lib/nfs` (ganesha's
 * NFSv4 recovery) and `/srv` are private tmpfs mounts there, so nothing touches the host's files, and the
 * export sits on a tmpfs, which supports the file handles FSAL VFS needs. Stopping the one process by its
 * PID ends the PID namespace and with it every daemon in it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Namespace } from '../netns.js';
import type { RunningProcess } from '../process.js';

/** What to export. */
export interface NfsExportOptions {
  /** The directory whose copy is exported. */
  tree: string;
  /** Export name: served at `/srv/<name>`. */
  name: string;
  /** A scratch directory for the config file. */
  workDir: string;
}

/** A running server and the path clients mount. */
export interface NfsServer {
  process: RunningProcess;
  /** `/srv/<name>`. */
  exportPath: string;
}

function ganeshaConfig(exportPath: string): string {
  return `NFS_CORE_PARAM {
  Protocols = 3, 4;
  Enable_NLM = false;
  Enable_RQUOTA = false;
}
NFSV4 { Graceless = true; }
EXPORT {
  Export_Id = 1;
  Path = ${exportPath};
  Pseudo = ${exportPath};
  Access_Type = RO;
  Squash = No_Root_Squash;
  SecType = sys;
  Protocols = 3, 4;
  Transports = TCP, UDP;
  FSAL { Name = VFS; }
}
LOG { Default_Log_Level = WARN; }
`;
}

/** Starts rpcbind and nfs-ganesha in `ns` and waits until NFSv3 and mountd are registered. */
export async function startNfsServer(ns: Namespace, options: NfsExportOptions): Promise<NfsServer> {
  if (!/^[a-z0-9-]+$/.test(options.name)) throw new Error(`bad export name ${options.name}`);
  const exportPath = `/srv/${options.name}`;
  const config = join(options.workDir, 'ganesha.conf');
  writeFileSync(config, ganeshaConfig(exportPath));
  const script = [
    'set -e',
    'mount -t tmpfs tmpfs /run',
    'mount -t tmpfs tmpfs /var/lib/nfs',
    'mount -t tmpfs tmpfs /srv',
    'mkdir -p /run/rpcbind "$2" && chown _rpc /run/rpcbind 2>/dev/null || true',
    'cp -a "$1/." "$2/"',
    'rpcbind -f &',
    'ganesha.nfsd -F -f "$3" -L /dev/stderr -p /run/ganesha.pid &',
    // Bounded wait: 200 × 0.1 s for NFSv3 and mountd v3 in the portmapper's list.
    'i=0',
    'until rpcinfo -p 127.0.0.1 2>/dev/null | grep -q "100003 *3 *tcp" && rpcinfo -p 127.0.0.1 | grep -q "100005 *3 *udp"; do',
    '  i=$((i + 1)); [ "$i" -le 200 ] || { echo "NFS-FAILED"; exit 1; }; sleep 0.1',
    'done',
    'echo "NFS-READY"',
    'wait',
  ].join('\n');
  const proc = ns.spawn('unshare', ['--mount', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', script, 'sh', options.tree, exportPath, config]);
  await proc.waitFor(/NFS-READY/, 60_000);
  return { process: proc, exportPath };
}
