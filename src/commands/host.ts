/**
 * `xenboot host HOST …`: a host's boot lifecycle and power, through the API of a running xenboot (every
 * instance on one store sees the same state, and the change is audited as made from the CLI):
 *
 *     xenboot host HOST status
 *     xenboot host HOST next-boot PROFILE          # once: PROFILE (rescue, memtest, …)
 *     xenboot host HOST next-boot reinstall PROFILE
 *     xenboot host HOST next-boot disabled | none  # no network boot | clear the action
 *     xenboot host HOST power status|on|off|soft-off|cycle|network-boot-once
 *
 * `--power-cycle` with `next-boot` boots the host into the action now, through its BMC. HOST is a MAC or
 * a host name. The API is `--url`, else `XENBOOT_URL`, else the config's `http.publicUrl`; the token
 * `--token`, else `XENBOOT_TOKEN`, else the config's `http.token`.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { ExitCode, type Command, type CommandIo } from './command.js';
import { loadConfigOrReport } from './config-arg.js';

const USAGE = [
  'xenboot host HOST status [--json]',
  '       xenboot host HOST next-boot PROFILE | reinstall PROFILE | disabled | none [--power-cycle]',
  '       xenboot host HOST power status|on|off|soft-off|cycle|network-boot-once',
  '       (options: --url URL, --token TOKEN, --config FILE)',
].join('\n');

interface Answer {
  status: number;
  body: any;
}

/** The lifecycle view as lines for a terminal. */
export function formatLifecycle(view: any): string {
  const lines = [
    `host       ${view.mac}${view.hostname ? ` (${view.hostname})` : ''}`,
    `state      ${view.state}${view.action ? ` — ${view.action}` : ''}`,
    `next boot  ${view.nextBoot?.profile ?? 'nothing'} (${view.nextBoot?.source ?? '?'})`,
  ];
  if (view.fetched?.length) lines.push(`evidence   ${view.fetched.join(', ')}`);
  if (view.attempts) lines.push(`retries    ${view.attempts}`);
  if (view.result) lines.push(`last       ${view.result.outcome}${view.result.message ? `: ${view.result.message}` : ''} at ${new Date(view.result.at).toISOString()}`);
  lines.push(`changed    ${view.updatedAt ? new Date(view.updatedAt).toISOString() : 'never'} by ${view.updatedBy}`);
  lines.push(`bmc        ${view.bmc ? `${view.bmc.protocol} ${view.bmc.address}` : 'none'}`);
  return `${lines.join('\n')}\n`;
}

/** The `host` command. */
export const hostCommand: Command = {
  summary: "a host's next-boot action, lifecycle state and power, through the running server's API",
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { url: { type: 'string' }, token: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean' }, 'power-cycle': { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    const [host, verb, ...rest] = positionals;
    if (host === undefined || verb === undefined) return usage(io);
    let url = values.url ?? process.env.XENBOOT_URL;
    let token = values.token ?? process.env.XENBOOT_TOKEN;
    if (url === undefined || token === undefined) {
      const config = await loadConfigOrReport(values.config, io);
      if (config === null) return ExitCode.Usage;
      url ??= config.http.publicUrl;
      token ??= config.http.token;
    }
    const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
      const headers: Record<string, string> = { 'x-xenboot-client': `cli:${safeUser()}` };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(`${url!.replace(/\/+$/, '')}${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(120_000) });
      } catch (error) {
        throw new Error(`cannot reach the xenboot API at ${url}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
      }
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: shown as text
      }
      return { status: response.status, body: parsed };
    };
    const path = `/api/v1/hosts/${encodeURIComponent(host)}`;
    const show = (answer: Answer, format: (body: any) => string): number => {
      if (answer.status >= 400) {
        io.stderr(`xenboot host: ${typeof answer.body === 'object' && answer.body?.message ? answer.body.message : String(answer.body)} (HTTP ${answer.status})\n`);
        return ExitCode.Failure;
      }
      io.stdout(values.json ? `${JSON.stringify(answer.body, null, 2)}\n` : format(answer.body));
      return ExitCode.Ok;
    };

    switch (verb) {
      case 'status':
        if (rest.length > 0) return usage(io);
        return show(await call('GET', `${path}/lifecycle`), formatLifecycle);
      case 'next-boot': {
        const [first, second] = rest;
        if (first === undefined || rest.length > 2) return usage(io);
        if (first === 'none' || first === 'clear') return show(await call('DELETE', `${path}/next-boot`), formatLifecycle);
        const power = values['power-cycle'] ? { power: 'cycle' } : {};
        const body =
          first === 'disabled' ? { action: 'disabled' } : first === 'reinstall' || first === 'once' ? (second === undefined ? null : { action: first, profile: second, ...power }) : second === undefined ? { action: 'once', profile: first, ...power } : null;
        if (body === null) return usage(io);
        return show(await call('PUT', `${path}/next-boot`, body), (b) => formatLifecycle(b.lifecycle) + (b.power ? `power      ${b.power.did} (was ${b.power.before})\n` : ''));
      }
      case 'power': {
        const [action] = rest;
        if (action === undefined || rest.length > 1) return usage(io);
        if (action === 'status') return show(await call('GET', `${path}/power`), (b) => `${b.mac}: power ${b.state} (${b.protocol})\n`);
        if (!['on', 'off', 'soft-off', 'cycle', 'network-boot-once'].includes(action)) return usage(io);
        return show(await call('POST', `${path}/power`, { action }), (b) => `${b.mac}: ${b.did} done (${b.protocol})\n`);
      }
      default:
        return usage(io);
    }
  },
};

function usage(io: CommandIo): number {
  io.stderr(`usage: ${USAGE}\n`);
  return ExitCode.Usage;
}

function safeUser(): string {
  try {
    return userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 32) || 'unknown';
  } catch {
    return 'unknown';
  }
}
