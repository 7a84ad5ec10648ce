/**
 * The shipped single-file `xenboot-pvboot` (esbuild bundle of src/pvboot/cli.ts, no node_modules) against
 * a scripted HTTP server on 127.0.0.1 that misbehaves as a busy or broken server does: verified downloads
 * (size and SHA-256 from the boot spec), bounded retries, one line on stderr and exit 1 for every failure
 * with nothing left in the output directory, and libxl's restricted layout (root-owned 0600 output
 * directory and output file, `--runas`).
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../../lab/process.js';
import { repoRoot, xenbootCommand } from '../../lab/xenboot.js';

const MAC = '00:16:3e:7a:00:01';
const kernel = randomBytes(300_000);
const ramdisk = randomBytes(120_000);
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

type Behaviour = (req: IncomingMessage, res: ServerResponse, hits: number) => void;

describe('xenboot-pvboot as one bundled file', () => {
  // Under the checkout's test/.tmp, not TMPDIR (mode 0700): the --runas cases run the bundle as uid 65534.
  mkdirSync(join(repoRoot, 'test', '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(repoRoot, 'test', '.tmp', 'pvboot-bundle-'));
  const bundle = join(dir, 'xenboot-pvboot');
  let server: Server;
  let base = '';
  const hits = new Map<string, number>();
  let behaviour: Record<string, Behaviour> = {};

  const spec = (overrides: { kernel?: object; ramdisk?: object | null } = {}) => ({
    mac: MAC,
    profile: 'web-domu',
    kernel: { path: 'domu/vmlinuz', url: `${base}/domu/vmlinuz`, size: kernel.length, sha256: sha(kernel), ...overrides.kernel },
    ramdisk: overrides.ramdisk === null ? null : { path: 'domu/initrd', url: `${base}/domu/initrd`, size: ramdisk.length, sha256: sha(ramdisk), ...overrides.ramdisk },
    args: 'console=hvc0 root=/dev/xvda1',
  });
  const serve = (data: Buffer): Behaviour => (_req, res) => {
    res.writeHead(200, { 'content-length': data.length });
    res.end(data);
  };
  const json = (body: unknown): Behaviour => (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const normal = (): Record<string, Behaviour> => ({
    [`/api/v1/boot-spec/${encodeURIComponent(MAC)}`]: json(spec()),
    '/domu/vmlinuz': serve(kernel),
    '/domu/initrd': serve(ramdisk),
  });

  beforeAll(async () => {
    const built = await runCommand(join(repoRoot, 'node_modules', '.bin', 'esbuild'), ['src/pvboot/cli.ts', '--bundle', '--platform=node', '--target=node18', '--format=cjs', `--outfile=${bundle}.cjs`], { cwd: repoRoot, timeoutMs: 60_000 });
    expect(built.code, built.stderr).toBe(0);
    // Installed without an extension, as `xenboot pvboot install` does. Node reads an extensionless file
    // by the nearest package.json: in /usr/local/bin there is none (CommonJS); here the checkout's says
    // "module", so this directory gets its own, as a dom0's bin directory has in effect.
    copyFileSync(`${bundle}.cjs`, bundle);
    writeFileSync(join(dir, 'package.json'), '{ "type": "commonjs" }\n');
    chmodSync(bundle, 0o755);
    chmodSync(dir, 0o755);
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const n = (hits.get(path) ?? 0) + 1;
      hits.set(path, n);
      const handler = behaviour[path];
      if (handler) handler(req, res, n);
      else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ statusCode: 404, message: `${path} is not here` }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }, 90_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the bundle as libxl does, in a fresh output directory with the output file created first. */
  async function libxl(extra: string[] = [], layout: { dirMode?: number } = {}) {
    const work = mkdtempSync(join(dir, 'run-'));
    chmodSync(work, 0o755);
    const outdir = join(work, 'bootloader.7.d');
    mkdirSync(outdir, { mode: layout.dirMode ?? 0o700 });
    chmodSync(outdir, layout.dirMode ?? 0o700);
    const output = join(work, 'bootloader.7.out');
    writeFileSync(output, '', { mode: 0o600 });
    hits.clear();
    const argv = [bundle, ...extra, `--output=${output}`, '--output-format=simple0', `--output-directory=${outdir}`, `mac=${MAC}`, `--server=${base}`, '/dev/vg0/vm1'];
    const result = await runCommand(process.execPath, argv, { cwd: dir, timeoutMs: 60_000 });
    return { ...result, outdir, output };
  }

  function items(output: string): Record<string, string> {
    const text = readFileSync(output, 'latin1');
    return Object.fromEntries(text.split('\0').filter(Boolean).map((item) => [item.slice(0, item.indexOf(' ')), item.slice(item.indexOf(' ') + 1)]));
  }

  it('downloads and verifies kernel and ramdisk, and answers libxl in simple0', async () => {
    behaviour = normal();
    const run = await libxl();
    expect(run.code, run.stderr).toBe(0);
    const answer = items(run.output);
    expect(readFileSync(answer.kernel!)).toEqual(kernel);
    expect(readFileSync(answer.ramdisk!)).toEqual(ramdisk);
    expect(answer.args).toBe('console=hvc0 root=/dev/xvda1');
    expect(statSync(answer.kernel!).mode & 0o777).toBe(0o600);
  });

  it('retries a busy server (503, a dropped connection) with backoff and then boots', async () => {
    behaviour = normal();
    const specPath = `/api/v1/boot-spec/${encodeURIComponent(MAC)}`;
    const good = behaviour[specPath]!;
    behaviour[specPath] = (req, res, n) => (n === 1 ? (res.writeHead(503), res.end('busy')) : good(req, res, n));
    behaviour['/domu/vmlinuz'] = (req, res, n) => {
      if (n === 1) {
        // Half the kernel, then the connection drops.
        res.writeHead(200, { 'content-length': kernel.length });
        res.write(kernel.subarray(0, kernel.length / 2), () => res.destroy());
      } else serve(kernel)(req, res, n);
    };
    const run = await libxl();
    expect(run.code, run.stderr).toBe(0);
    expect(hits.get(specPath)).toBe(2);
    expect(hits.get('/domu/vmlinuz')).toBe(2);
    expect(run.stderr).toMatch(/503 busy; retrying/);
    expect(readFileSync(items(run.output).kernel!)).toEqual(kernel);
  });

  const failures: Array<[string, () => Record<string, Behaviour>, RegExp]> = [
    ['a kernel that is not the one the spec names (same size, other bytes)', () => ({ ...normal(), '/domu/vmlinuz': serve(randomBytes(kernel.length)) }), /SHA-256 [0-9a-f]{64} is not the boot spec's [0-9a-f]{64} \(after 4 attempts\)$/],
    [
      'a short ramdisk (the server sends less than the spec says, without Content-Length)',
      () => ({
        ...normal(),
        '/domu/initrd': (_req, res) => {
          res.writeHead(200);
          res.end(ramdisk.subarray(0, 1000));
        },
      }),
      /got 1000 of 120000 bytes \(after 4 attempts\)$/,
    ],
    ['a Content-Length that disagrees with the spec', () => ({ ...normal(), '/domu/initrd': serve(ramdisk.subarray(0, 50)) }), /the server announces 50 bytes, the boot spec 120000$/],
    ['a missing kernel', () => ({ ...normal(), '/domu/vmlinuz': undefined as unknown as Behaviour }), /domu\/vmlinuz: 404 \/domu\/vmlinuz is not here$/],
    ['an answer that is not a boot spec', () => ({ ...normal(), [`/api/v1/boot-spec/${encodeURIComponent(MAC)}`]: json({ hello: 1 }) }), /not a boot spec$/],
    ['a server that keeps failing', () => ({ [`/api/v1/boot-spec/${encodeURIComponent(MAC)}`]: (_req, res) => (res.writeHead(500), res.end('{"message":"store down"}')) }), /500 store down \(after 4 attempts\)$/],
  ];
  for (const [what, setup, message] of failures) {
    it(`fails with one line, exit 1 and an empty output directory on ${what}`, async () => {
      behaviour = setup();
      const run = await libxl();
      expect(run.code, run.stderr).toBe(1);
      const lines = run.stderr.trim().split('\n').filter((line) => !line.endsWith('; retrying') && !/^xenboot-pvboot: (kernel|ramdisk) |boots profile/.test(line));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^xenboot-pvboot: /);
      expect(lines[0]).toMatch(message);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(readdirSync(run.outdir)).toEqual([]);
      expect(readFileSync(run.output, 'utf8')).toBe('');
    }, 60_000);
  }

  it('one line and no stack for an output directory that does not exist', async () => {
    behaviour = normal();
    const run = await runCommand(process.execPath, [bundle, `--output-directory=${join(dir, 'nope')}`, `mac=${MAC}`, `--server=${base}`], { timeoutMs: 30_000 });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^xenboot-pvboot: cannot create a file in .*nope: ENOENT/)]);
  });

  it('xenboot pvboot install writes the built file, executable, and says where libxl looks', async () => {
    const built = await runCommand('npm', ['run', '-s', 'build:pvboot'], { cwd: repoRoot, timeoutMs: 120_000 });
    expect(built.code, built.stderr).toBe(0);
    const dest = mkdtempSync(join(dir, 'bin-'));
    const [cmd, argv] = xenbootCommand('pvboot', 'install', '--dest', dest);
    const run = await runCommand(cmd, argv, { timeoutMs: 60_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(dest, 'xenboot-pvboot'))).toEqual(readFileSync(join(repoRoot, 'dist', 'xenboot-pvboot.cjs')));
    expect(statSync(join(dest, 'xenboot-pvboot')).mode & 0o777).toBe(0o755);
    expect(run.stdout).toMatch(/libxl runs bootloader = "xenboot-pvboot" from Xen's private bin directory .*then from PATH/);
    expect(run.stdout).toContain(`write bootloader = "${join(dest, 'xenboot-pvboot')}"`);
  }, 180_000);

  const asRoot = process.getuid?.() === 0;
  it.skipIf(!asRoot)('in libxl\'s restricted layout (root-owned 0600 directory and output file, --runas) downloads as the unprivileged uid', async () => {
    behaviour = normal();
    const run = await libxl(['--runas=65534', '--quiet'], { dirMode: 0o600 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
    const answer = items(run.output);
    expect(readFileSync(answer.kernel!)).toEqual(kernel);
    expect(readFileSync(answer.ramdisk!)).toEqual(ramdisk);
    expect(statSync(answer.kernel!).uid).toBe(0);
    expect(readdirSync(run.outdir).sort()).toEqual([answer.kernel!, answer.ramdisk!].map((p) => p.slice(run.outdir.length + 1)).sort());
  });

  it.skipIf(!asRoot)('in the restricted layout, a failure as the unprivileged uid still leaves nothing behind', async () => {
    behaviour = { ...normal(), '/domu/initrd': serve(randomBytes(ramdisk.length)) };
    const run = await libxl(['--runas=65534', '--quiet'], { dirMode: 0o600 });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^xenboot-pvboot: .*SHA-256 .* \(after 4 attempts\)$/)]);
    expect(readdirSync(run.outdir)).toEqual([]);
  }, 60_000);

  it.skipIf(!asRoot)('in the restricted layout, a profile without ramdisk leaves only the kernel', async () => {
    behaviour = { ...normal(), [`/api/v1/boot-spec/${encodeURIComponent(MAC)}`]: json(spec({ ramdisk: null })) };
    const run = await libxl(['--runas=65534', '--quiet'], { dirMode: 0o600 });
    expect(run.code, run.stderr).toBe(0);
    const answer = items(run.output);
    expect(answer.ramdisk).toBeUndefined();
    expect(readdirSync(run.outdir)).toEqual([answer.kernel!.slice(run.outdir.length + 1)]);
  });
});
