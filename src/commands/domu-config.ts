/**
 * `xenboot domu-config NAME… [--profile P] [--config F] [--out DIR] [--server URL] [--force]`: writes one
 * xl config per domU (`<out>/<NAME>`), booting through `xenboot-pvboot`. A NAME that is already a host
 * (by hostname) keeps its MAC and profile; a new NAME gets a MAC in 00:16:3e, checked against every MAC
 * in the config file, the store and the `mac=` lines of the files already in the output directory, and
 * is recorded as a host `{mac, hostname: NAME, profile}` in the store, under the same write rules as the
 * API's (`inventory/writes.ts`): a NAME that is no valid hostname, or a profile deleted from the store in
 * the meantime, is refused and nothing is written. The store is therefore where
 * allocated MACs live: later runs (and other xenboot instances sharing the store) see them, and the
 * running server boots the new domUs at once.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { allocateXenMac, DOMU_NAME, macsInXlConfig, renderXlConfig } from '../boot/domu-config.js';
import { Inventory, mergeInventoryInputs } from '../inventory/snapshot.js';
import type { XenDomuProfile } from '../inventory/model.js';
import { RenderError } from '../boot/render.js';
import { inventoryInputFromConfig, loadTemplates, storeInventoryLoader } from '../boot-service.js';
import { TemplateError } from '../boot/templates.js';
import { validateDocument } from '../http/validate.js';
import { documentProblems, writeProblem } from '../inventory/writes.js';
import { parseMac } from '../net/mac.js';
import { silentLogger } from '../log.js';
import { openStore } from '../store/open.js';
import { ExitCode, type Command } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

/** A host the inventory's write rules refused (nothing was written). */
class WriteRefused extends Error {}

/** MACs named in the existing files of the output directory (hand-written configs must not collide). */
function macsInDirectory(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const macs: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    try {
      if (statSync(path).isFile() && statSync(path).size < 1024 * 1024) macs.push(...macsInXlConfig(readFileSync(path, 'utf8')));
    } catch {
      /* unreadable entries cannot collide with anything we write */
    }
  }
  return macs;
}

/** The `domu-config` command. */
export const domuConfigCommand: Command = {
  summary: 'write xl configs for domUs booted by xenboot-pvboot, allocating MACs in 00:16:3e',
  usage: 'xenboot domu-config NAME... [--profile PROFILE] [--config FILE] [--out DIR] [--server URL] [--force]',
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        profile: { type: 'string', short: 'p' },
        config: { type: 'string', short: 'c' },
        out: { type: 'string', short: 'o' },
        server: { type: 'string' },
        force: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length === 0) {
      io.stderr(`usage: ${this.usage}\n`);
      return ExitCode.Usage;
    }
    const badName = positionals.find((n) => !DOMU_NAME.test(n));
    if (badName !== undefined) {
      io.stderr(`xenboot domu-config: "${badName}" is not a usable domU name (letters, digits, . _ -)\n`);
      return ExitCode.Usage;
    }
    if (new Set(positionals).size !== positionals.length) {
      io.stderr('xenboot domu-config: a NAME is given twice\n');
      return ExitCode.Usage;
    }
    const config = await loadConfigOrReport(values.config, io);
    if (config === null) return ExitCode.Usage;
    if (config.store.kind === 'memory') {
      io.stderr('xenboot domu-config: the store is "memory": allocated MACs must be recorded in a sqlite or postgres store\n');
      return ExitCode.Usage;
    }
    const outDir = resolve(config.baseDir, values.out ?? config.inventory.domu.outDir);
    const server = (values.server ?? config.inventory.domu.server ?? config.http.publicUrl).replace(/\/+$/, '');
    if (!/^https?:\/\/\S+$/.test(server)) {
      io.stderr(`xenboot domu-config: --server ${server} is not an http(s) URL\n`);
      return ExitCode.Usage;
    }
    const store = await openStore(config.store, silentLogger());
    try {
      const templates = loadTemplates(config);
      const merged = mergeInventoryInputs(inventoryInputFromConfig(config), await storeInventoryLoader(store)());
      const inventory = new Inventory(merged);
      const used = new Set<string>([
        ...merged.hosts.map((h) => parseMac(h.mac)).filter((m): m is string => m !== null),
        ...config.dhcp.reservations.map((r) => parseMac(r.mac)).filter((m): m is string => m !== null),
        ...macsInDirectory(outDir),
      ]);
      const plans: Array<{ name: string; mac: string; profile: XenDomuProfile; isNew: boolean; path: string }> = [];
      for (const name of positionals) {
        const existing = inventory.hosts().find((h) => h.hostname === name);
        const profileName = existing?.profile?.name ?? values.profile;
        if (profileName === undefined) {
          io.stderr(`xenboot domu-config: ${name} is not a host yet: give --profile with a xen-domu profile\n`);
          return ExitCode.Usage;
        }
        const profile = inventory.profile(profileName);
        if (!profile || profile.kind !== 'xen-domu') {
          io.stderr(`xenboot domu-config: ${profile ? `profile "${profileName}" is ${profile.kind}, not xen-domu` : `no profile named "${profileName}"`}\n`);
          return ExitCode.Usage;
        }
        const path = join(outDir, name);
        if (existsSync(path) && !values.force) {
          io.stderr(`xenboot domu-config: ${path} exists (use --force to overwrite)\n`);
          return ExitCode.Failure;
        }
        const mac = existing?.mac ?? allocateXenMac(used);
        if (!existing) {
          // The API's own validation, so a NAME is refused here exactly when POST /api/v1/hosts would refuse it.
          const valid = validateDocument('hosts', { mac, hostname: name, profile: profile.name });
          const problems = valid.ok ? documentProblems('hosts', valid.value) : valid.problems;
          if (problems.length > 0) {
            io.stderr(`xenboot domu-config: ${name} cannot be recorded as a host: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}\n`);
            return ExitCode.Usage;
          }
        }
        plans.push({ name, profile, path, isNew: !existing, mac });
      }
      // Render everything before writing anything, so a bad profile leaves no half-done batch behind.
      const rendered = plans.map((plan) => ({ ...plan, text: renderXlConfig(templates, { name: plan.name, mac: plan.mac, profile: plan.profile, server }) }));
      // A missing output directory is created (as `xl` expects its configs in one); one line if it cannot be.
      try {
        await mkdir(outDir, { recursive: true, mode: 0o755 });
      } catch (error) {
        io.stderr(`xenboot domu-config: cannot create the output directory ${outDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}\n`);
        return ExitCode.Failure;
      }
      const fresh = rendered.filter((p) => p.isNew);
      if (fresh.length > 0) {
        const changes = fresh.map((p) => ({ op: 'create' as const, kind: 'hosts' as const, doc: { mac: p.mac, hostname: p.name, profile: p.profile.name } }));
        const located = changes.map((change, i) => ({ change, path: fresh[i]!.name }));
        await store.inventory.apply(changes, (stored) => {
          const refusal = writeProblem(inventoryInputFromConfig(config), stored, located);
          if (refusal) throw new WriteRefused(`${refusal.path}: ${refusal.message}`);
        });
      }
      for (const plan of rendered) {
        await writeFile(plan.path, plan.text, { mode: 0o644 });
        io.stdout(`${plan.path}: ${plan.name} ${plan.mac} profile ${plan.profile.name}${plan.isNew ? ' (new host)' : ''}\n`);
      }
      return ExitCode.Ok;
    } catch (error) {
      if (error instanceof RenderError || error instanceof TemplateError || error instanceof WriteRefused) {
        io.stderr(`xenboot domu-config: ${error.message}\n`);
        return ExitCode.Failure;
      }
      throw error;
    } finally {
      await store.close();
    }
  },
};
