/**
 * Every profile kind rendered for every boot path, compared literally with the files in test/golden/
 * (a refused render is compared by its error message). UPDATE_GOLDEN=1 rewrites the files; review the
 * diff before committing it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderXlConfig } from '../../src/boot/domu-config.js';
import { RENDER_TARGETS } from '../../src/boot/loaders/index.js';
import { BootRenderer, type RenderSubject } from '../../src/boot/render.js';
import { bootSpecFor } from '../../src/boot/boot-spec.js';
import { TemplateSet } from '../../src/boot/templates.js';
import { repoRoot } from '../../lab/xenboot.js';
import { allProfiles, domu, server } from './fixtures.js';

const goldenDir = join(repoRoot, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

const templates = TemplateSet.load(join(repoRoot, 'test', 'golden', 'user-templates'));
const renderer = new BootRenderer(templates, server);

function compare(relative: string, actual: string): void {
  const path = join(goldenDir, relative);
  if (update) {
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(existsSync(path), `${relative} missing (run with UPDATE_GOLDEN=1 and review)`).toBe(true);
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('golden renders: every profile kind × boot path', () => {
  for (const profile of allProfiles) {
    for (const target of RENDER_TARGETS) {
      it(`${profile.name} (${profile.kind}) → ${target}`, () => {
        const subject: RenderSubject = {
          mac: '52:54:00:12:34:56',
          profile,
          vars: { ...(profile.vars ?? {}) },
          hostname: 'xen1',
          ip: '10.99.0.123',
          uuid: 'b8945908-d6a6-41a9-611d-74a6ab80b83d',
          known: true,
        };
        let text: string;
        try {
          text = renderer.render(target, subject, { pypxeboot: profile.kind === 'xen-domu' });
        } catch (error) {
          text = `refused: ${(error as Error).message}\n`;
        }
        compare(`${profile.name}/${target}.txt`, text);
      });
    }
  }
});

describe('golden renders: the domU paths (xl config for xenboot-pvboot, its boot spec)', () => {
  it(`${domu.name} → xl config`, () => {
    compare(`${domu.name}/xl.txt`, renderXlConfig(templates, { name: 'web1', mac: '00:16:3e:11:22:33', profile: domu, server: server.publicUrl }));
  });
  it(`${domu.name} → boot spec`, () => {
    const spec = bootSpecFor({ mac: '00:16:3e:11:22:33', profile: domu, vars: {}, hostname: 'web1', known: true }, renderer, server.publicUrl);
    compare(`${domu.name}/boot-spec.json`, `${JSON.stringify(spec, null, 2)}\n`);
  });
});
