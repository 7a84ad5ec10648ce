/**
 * Machine: one machine's boot timeline as a waterfall (each DHCP exchange, TFTP transfer and HTTP fetch
 * on a time axis, with size, duration and throughput; failures in red; a pause of more than
 * `STALL_MS` marked as a stall; lifecycle changes as their own rows), its history of boots (a boot starts
 * at a DHCP DISCOVER), its next boot (the lifecycle state, the armed action, the last result, and the
 * controls to arm, clear and power-cycle: docs/lifecycle.md), the explain answer with every rendered file,
 * and its lease. New events of this machine are added as they arrive.
 */
import { api, ApiError, query } from '../api.js';
import { bytes, clock, duration, firmwareName, h, replace } from '../dom.js';
import { reloader, type Page, type PageContext } from '../page.js';
import type { BootEvent } from '../../src/timeline/types.js';
import { isFailure, phaseOf } from '../../src/http/ui/machine-state.js';
import type { Explanation } from '../../src/explain/explain.js';
import type { LeaseView as Lease } from '../../src/http/routes/leases.js';

/** The lifecycle answer of `GET /api/v1/hosts/:host/lifecycle` (src/http/routes/lifecycle.ts). */
interface LifecycleView {
  mac: string;
  state: string;
  action?: string;
  nextBoot: { profile: string | null; source: string };
  attempts: number;
  fetched: string[];
  callbackOpen: boolean;
  result?: { outcome: string; message?: string; at: number };
  updatedAt: number;
  updatedBy: string;
  bmc: { protocol: string; address: string } | null;
}

/** A pause between two events longer than this is shown as a stall. */
const STALL_MS = 5_000;

/** Splits events (oldest first) into boots: each DHCP DISCOVER starts a new one. */
export function boots(events: BootEvent[]): BootEvent[][] {
  const out: BootEvent[][] = [];
  for (const event of events) {
    if (out.length === 0 || (event.kind === 'dhcp' && event.messageType === 'DISCOVER' && out[out.length - 1]!.some((e) => e.kind !== 'dhcp' || e.messageType !== 'DISCOVER'))) out.push([]);
    out[out.length - 1]!.push(event);
  }
  return out;
}

/** What one waterfall row says about its event. */
function detail(e: BootEvent): string {
  if (e.kind === 'dhcp') return [e.yiaddr && `address ${e.yiaddr}`, e.bootFile && `boot file ${e.bootFile}`, e.reason].filter(Boolean).join(' · ');
  if (e.kind === 'lifecycle') return [`by ${e.by}`, e.action, e.message].filter(Boolean).join(' · ');
  if (e.kind === 'dhcp-rogue') return [`server ${e.serverId}`, e.yiaddr && `address ${e.yiaddr}`, e.bootFile && `boot file ${e.bootFile}`, `seen via ${e.via}`].filter(Boolean).join(' · ');
  const rate = e.durationMs > 0 ? ` · ${bytes(Math.round((e.bytes * 1000) / e.durationMs))}/s` : '';
  if (e.kind === 'tftp') return `${bytes(e.bytes)}${e.size !== undefined && e.size !== e.bytes ? ` of ${bytes(e.size)}` : ''} in ${duration(e.durationMs)}${rate}${e.retransmits ? ` · ${e.retransmits} retransmits` : ''}${e.error ? ` · ${e.error}` : ''}`;
  return `${bytes(e.bytes)} in ${duration(e.durationMs)}${rate}`;
}

/** The waterfall of one boot. */
function waterfall(events: BootEvent[]): HTMLElement {
  if (events.length === 0) return h('p', { class: 'muted' }, 'No event yet: the machine has not been seen on the wire.');
  const start = Math.min(...events.map((e) => e.at - ('durationMs' in e ? e.durationMs : 0)));
  const end = Math.max(...events.map((e) => e.at));
  const span = Math.max(1, end - start);
  const list = h('ol', { class: 'waterfall', 'aria-label': 'boot timeline' });
  let previous: number | null = null;
  for (const e of events) {
    const d = 'durationMs' in e ? e.durationMs : 0;
    const from = e.at - d;
    if (previous !== null && from - previous > STALL_MS) list.append(h('li', { class: 'stall' }, `stalled ${duration(from - previous)}`));
    previous = Math.max(previous ?? 0, e.at);
    const bar = h('span', { class: `bar ${e.kind}` });
    bar.style.left = `${((from - start) / span) * 100}%`;
    bar.style.width = `${Math.max(0.5, (d / span) * 100)}%`;
    list.append(
      h(
        'li',
        { class: isFailure(e) ? 'event failure' : 'event', 'data-kind': e.kind },
        h('time', {}, clock(e.at)),
        h('span', { class: 'what' }, phaseOf(e)),
        h('span', { class: 'track', 'aria-hidden': 'true' }, bar),
        h('span', { class: 'detail' }, detail(e)),
      ),
    );
  }
  return list;
}

/** Mounts the page for `mac`. */
export function machinePage(root: HTMLElement, ctx: PageContext, mac: string): Page {
  let events: BootEvent[] = [];
  let selected: number | null = null; // index into boots; null = the newest
  const heading = h('h1', {}, `Machine ${mac}`);
  const summary = h('div', { class: 'machine-summary' });
  const history = h('div', {});
  const timeline = h('div', { id: 'timeline' });
  const explain = h('div', {});
  const lease = h('div', {});
  const nextBoot = h('div', { id: 'next-boot' });
  root.append(
    heading,
    summary,
    h('section', { 'aria-labelledby': 'nb-h' }, h('h2', { id: 'nb-h' }, 'Next boot'), nextBoot),
    h('section', { 'aria-labelledby': 'tl-h' }, h('h2', { id: 'tl-h' }, 'Boot timeline'), timeline),
    h('section', { 'aria-labelledby': 'hist-h' }, h('h2', { id: 'hist-h' }, 'Boots'), history),
    h('section', { 'aria-labelledby': 'lease-h' }, h('h2', { id: 'lease-h' }, 'Lease'), lease),
    h('section', { 'aria-labelledby': 'explain-h' }, h('h2', { id: 'explain-h' }, 'What it gets, and why'), explain),
  );

  const drawTimeline = () => {
    const all = boots(events);
    const index = selected ?? all.length - 1;
    replace(timeline, waterfall(all[index] ?? []));
    replace(
      history,
      all.length === 0
        ? h('p', { class: 'muted' }, 'No boot recorded.')
        : h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...['Started', 'Events', 'Ended with', ''].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              ...all
                .map((b, i) => {
                  const last = b[b.length - 1]!;
                  const failed = b.some(isFailure);
                  return h(
                    'tr',
                    { class: failed ? 'failure' : '' },
                    h('td', {}, new Date(b[0]!.at).toLocaleString()),
                    h('td', { class: 'num' }, b.length),
                    h('td', {}, phaseOf(last)),
                    h('td', {}, i === index ? h('strong', {}, 'shown') : h('button', { type: 'button', onclick: () => ((selected = i), drawTimeline()) }, 'Show')),
                  );
                })
                .reverse(),
            ),
          ),
    );
  };

  const loadExplain = async () => {
    const [x, leases] = await Promise.all([api<Explanation>('GET', `/api/v1/explain${query({ mac })}`), api<Lease[]>('GET', `/api/v1/leases${query({ mac })}`)]);
    isHost = x.host !== null;
    replace(
      summary,
      h(
        'dl',
        {},
        h('dt', {}, 'Host'),
        h('dd', {}, x.host ? `${x.host.hostname ?? '(no hostname)'} — matched by ${x.host.matchedBy}` : 'not in the inventory (unknown)'),
        h('dt', {}, 'Profile'),
        h('dd', {}, x.profile ? `${x.profile.name} (${x.profile.kind}, ${x.profile.source})` : 'none'),
        h('dt', {}, 'Firmware'),
        h('dd', {}, `${x.machine.firmware} · client ${x.client}`),
        h('dt', {}, 'DHCP boot file'),
        h('dd', { class: 'mono' }, x.dhcp?.bootFile ?? '—'),
      ),
    );
    replace(
      explain,
      h('p', {}, x.reason),
      x.groups.length > 0 ? h('p', {}, 'Groups: ', x.groups.map((g) => `${g.name}${g.selected ? ' (selected)' : ''}`).join(', ')) : null,
      h(
        'ul',
        { class: 'files' },
        ...x.files.map((f) =>
          h(
            'li',
            { class: f.result === 'refused' ? 'failure' : '' },
            f.text !== undefined
              ? h('details', {}, h('summary', {}, h('span', { class: 'mono' }, f.path), ` — ${f.via}, ${f.why}`), h('pre', {}, f.text))
              : h('span', {}, h('span', { class: 'mono' }, f.path), ` — ${f.via}, ${f.result}: ${f.why}`),
          ),
        ),
      ),
    );
    const current = leases.filter((l) => l.active);
    replace(
      lease,
      current.length === 0
        ? h('p', { class: 'muted' }, leases.length > 0 ? `No active lease (last: ${leases[0]!.ip}, ${leases[0]!.state}).` : 'No lease.')
        : h('p', {}, ...current.map((l) => h('span', { class: 'mono' }, `${l.ip} ${l.state}, until ${new Date(l.expiresAt).toLocaleTimeString()}`))),
    );
  };

  let isHost = false;
  const loadLifecycle = async () => {
    if (!isHost) {
      replace(nextBoot, h('p', { class: 'muted' }, 'Not in the inventory: only hosts get next-boot actions.'));
      return;
    }
    let view: LifecycleView;
    try {
      view = await api<LifecycleView>('GET', `/api/v1/hosts/${encodeURIComponent(mac)}/lifecycle`);
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        replace(nextBoot, h('p', { class: 'muted' }, 'Not in the inventory: only hosts get next-boot actions.'));
        return;
      }
      throw error;
    }
    const profiles = await api<{ profiles?: Array<{ name: string; kind: string }> }>('GET', '/api/v1/inventory').then(
      (inv) => (inv.profiles ?? []).filter((p) => p.kind !== 'localboot'),
      () => [],
    );
    const message = h('p', { class: 'muted', role: 'status' });
    const select = h('select', { 'aria-label': 'profile' }, ...profiles.map((p) => h('option', { value: p.name }, p.name)));
    const cycle = h('input', { type: 'checkbox', id: 'nb-cycle' });
    const send = async (method: string, body?: unknown) => {
      message.textContent = 'working…';
      try {
        await api(method, `/api/v1/hosts/${encodeURIComponent(mac)}/next-boot`, body);
        message.textContent = '';
        // What the machine gets changed too: the explain answer is read again with the panel.
        await loadExplain();
        await loadLifecycle();
      } catch (error) {
        message.textContent = (error as Error).message;
        message.className = 'failure';
      }
    };
    const arm = (action: string) => () =>
      void send('PUT', action === 'disabled' ? { action } : { action, profile: select.value, ...(cycle.checked ? { power: 'cycle' } : {}) });
    replace(
      nextBoot,
      h(
        'div',
        { class: 'machine-summary' },
        h(
        'dl',
        { class: 'lifecycle', 'data-state': view.state },
        h('dt', {}, 'State'),
        h('dd', { class: 'lifecycle-state' }, view.state, view.action ? ` — ${view.action}` : ''),
        h('dt', {}, 'Boots'),
        h('dd', {}, `${view.nextBoot.profile ?? 'nothing'} (${view.nextBoot.source})`),
        view.fetched.length > 0 ? h('dt', {}, 'Evidence') : null,
        view.fetched.length > 0 ? h('dd', { class: 'mono' }, view.fetched.join(', ')) : null,
        view.attempts > 0 ? h('dt', {}, 'Retries') : null,
        view.attempts > 0 ? h('dd', {}, String(view.attempts)) : null,
        h('dt', {}, 'Last result'),
        h('dd', {}, view.result ? `${view.result.outcome}${view.result.message ? `: ${view.result.message}` : ''}, ${new Date(view.result.at).toLocaleString()}` : '—'),
        h('dt', {}, 'Changed'),
        h('dd', {}, view.updatedAt > 0 ? `${new Date(view.updatedAt).toLocaleString()} by ${view.updatedBy}` : 'never'),
        h('dt', {}, 'BMC'),
        h('dd', {}, view.bmc ? `${view.bmc.protocol} ${view.bmc.address}` : 'none'),
        ),
      ),
      h(
        'div',
        { class: 'lifecycle-controls' },
        select,
        h('button', { type: 'button', onclick: arm('once') }, 'Boot once'),
        h('button', { type: 'button', onclick: arm('reinstall') }, 'Reinstall'),
        view.bmc ? h('label', { for: 'nb-cycle' }, cycle, ' and power-cycle now') : null,
        h('button', { type: 'button', onclick: arm('disabled') }, 'Disable netboot'),
        view.state !== 'idle' ? h('button', { type: 'button', onclick: () => void send('DELETE') }, 'Clear') : null,
      ),
      message,
    );
  };

  const load = async () => {
    const [t] = await Promise.all([api<{ mac: string; events: BootEvent[] }>('GET', `/api/v1/machines/${encodeURIComponent(mac)}/timeline?limit=2000`), loadExplain().then(loadLifecycle)]);
    if (t.mac !== mac) heading.textContent = `Machine ${t.mac}`;
    mac = t.mac;
    events = t.events;
    drawTimeline();
  };
  const r = reloader(ctx, load, 2000);
  let frame = 0;
  let leaseChanged = false;
  ctx.onEvent((event) => {
    if (event.mac !== mac) return;
    events.push(event);
    if (event.kind === 'dhcp') leaseChanged = true;
    if (event.kind === 'lifecycle') loadExplain().then(loadLifecycle).catch(ctx.fail);
    frame ||= requestAnimationFrame(() => {
      frame = 0;
      drawTimeline();
      if (leaseChanged) {
        leaseChanged = false;
        loadExplain().catch(ctx.fail);
      }
    });
  });
  return {
    unmount() {
      r.stop();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
