/**
 * Machines: every known machine and every MAC seen lately, searchable, filterable by state, one page of
 * rows at a time (the server filters and pages, so 10 000 hosts cost one page). Rows follow the live
 * stream: events are collected and applied once per animation frame, so a storm of events costs one
 * repaint a frame; a DHCP message from a MAC not on the page reloads the page (at most every 2 s).
 */
import { api, query } from '../api.js';
import { ago, firmwareName, h, replace } from '../dom.js';
import { clearErrors, showErrors } from '../form-errors.js';
import { reloader, type Page, type PageContext } from '../page.js';
import type { BootEvent } from '../../src/timeline/types.js';
import { addEvent, machineState, phaseOf, type MachineState } from '../../src/http/ui/machine-state.js';
import type { MachineListing as Listing, MachineRow } from '../../src/http/routes/machines.js';

const PAGE = 100;
const STATES: MachineState[] = ['booting', 'booted', 'failed', 'idle', 'unknown'];

/** Mounts the page; `params` may carry `q` and `state` (from `#/machines?state=failed`). */
export function machinesPage(root: HTMLElement, ctx: PageContext, params = new URLSearchParams()): Page {
  let offset = 0;
  let rows = new Map<string, { row: MachineRow; tr: HTMLTableRowElement; fetched: boolean }>();
  const search = h('input', { type: 'search', id: 'machine-search', name: 'q', placeholder: 'MAC, hostname, profile, address', value: params.get('q') ?? '', size: 30 });
  const stateSelect = h('select', { id: 'machine-state', name: 'state' }, h('option', { value: '' }, 'any state'), ...STATES.map((s) => h('option', { value: s }, s)));
  stateSelect.value = params.get('state') ?? '';
  const summary = h('p', { class: 'muted', id: 'machines-summary', 'aria-live': 'polite' });
  const tbody = h('tbody', {});
  const pager = h('div', { class: 'pager' });
  root.append(
    h('h1', {}, 'Machines'),
    h(
      'form',
      { class: 'filters', role: 'search', onsubmit: (e: Event) => (e.preventDefault(), (offset = 0), r.poke()) },
      h('label', { for: 'machine-search' }, 'Search'),
      search,
      h('label', { for: 'machine-state' }, 'State'),
      stateSelect,
    ),
    summary,
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'machines', 'aria-describedby': 'machines-summary' },
        h('thead', {}, h('tr', {}, ...['Hostname', 'MAC', 'Profile', 'Firmware', 'Lease', 'State', 'Last phase', 'When'].map((t) => h('th', { scope: 'col' }, t)))),
        tbody,
      ),
    ),
    pager,
  );
  let searchTimer: ReturnType<typeof setTimeout> | null = null;
  search.addEventListener('input', () => {
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => ((offset = 0), r.poke()), 250);
  });
  stateSelect.addEventListener('change', () => ((offset = 0), r.poke()));

  const fillRow = (tr: HTMLTableRowElement, m: MachineRow) => {
    tr.className = `state-${m.state}`;
    tr.dataset.mac = m.mac;
    const name = m.known ? (m.hostname ?? '—') : h('span', {}, h('em', {}, 'unknown'), m.vendorClass ? h('span', { class: 'muted' }, ` ${m.vendorClass}`) : null);
    const when = m.known ? ago(m.lastAt) : `first ${ago(m.firstSeen)}, last ${ago(m.lastSeen)}`;
    replace(
      tr,
      h('td', {}, name),
      h('td', { class: 'mono' }, h('a', { href: `#/machines/${m.mac}` }, m.mac)),
      h('td', {}, m.profile ?? (m.known ? '—' : h('button', { type: 'button', class: 'add', 'aria-label': `Add ${m.mac} to the inventory`, onclick: () => addForm(tr, m) }, 'Add to inventory'))),
      h('td', {}, firmwareName(m.arch)),
      h('td', { class: 'mono' }, m.leaseIp ?? '—'),
      h('td', {}, h('span', { class: `badge ${m.state}` }, m.state)),
      h('td', { class: 'phase' }, m.lastPhase ?? '—'),
      h('td', {}, when),
    );
  };

  const addForm = async (tr: HTMLTableRowElement, m: MachineRow) => {
    tr.nextElementSibling?.classList.contains('add-row') && tr.nextElementSibling.remove();
    const profiles = await api<{ profiles: Array<{ name: string }> }>('GET', '/api/v1/inventory').then((i) => i.profiles.map((p) => p.name)).catch(() => [] as string[]);
    const id = m.mac.replace(/:/g, '');
    const hostname = h('input', { id: `add-hostname-${id}`, name: 'hostname', 'data-path': 'hostname', required: true, size: 20 });
    const profile = h('select', { id: `add-profile-${id}`, name: 'profile', 'data-path': 'profile' }, h('option', { value: '' }, '(none)'), ...profiles.map((p) => h('option', { value: p }, p)));
    const form = h(
      'form',
      { class: 'inline-form', 'aria-label': `Add ${m.mac} to the inventory` },
      h('label', { for: hostname.id }, 'Hostname'),
      hostname,
      h('label', { for: profile.id }, 'Profile'),
      profile,
      h('button', { class: 'primary' }, 'Add host'),
      h('button', { type: 'button', onclick: () => row.remove() }, 'Cancel'),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      const doc: Record<string, string> = { mac: m.mac, hostname: hostname.value.trim() };
      if (profile.value) doc.profile = profile.value;
      try {
        await api('POST', '/api/v1/hosts', doc);
        ctx.info(`${m.mac} added to the inventory as ${doc.hostname}.`);
        row.remove();
        r.poke();
      } catch (error) {
        showErrors(form, error);
      }
    });
    const row = h('tr', { class: 'add-row' }, h('td', { colspan: 8 }, form));
    tr.insertAdjacentElement('afterend', row);
    hostname.focus();
  };

  const load = async () => {
    const listing = await api<Listing>('GET', `/api/v1/machines${query({ q: search.value.trim(), state: stateSelect.value || undefined, offset, limit: PAGE })}`);
    const next = new Map<string, { row: MachineRow; tr: HTMLTableRowElement; fetched: boolean }>();
    const trs = listing.machines.map((m) => {
      const tr = h('tr', {});
      fillRow(tr, m);
      next.set(m.mac, { row: m, tr, fetched: m.state === 'booted' });
      return tr;
    });
    rows = next;
    replace(tbody, ...trs);
    if (trs.length === 0) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No machine matches.')));
    const c = listing.counts;
    summary.textContent = `${listing.total} machines shown of ${STATES.reduce((s, k) => s + (c[k] ?? 0), 0)} (${STATES.map((k) => `${c[k] ?? 0} ${k}`).join(', ')})`;
    replace(
      pager,
      h('button', { type: 'button', disabled: offset === 0, onclick: () => ((offset = Math.max(0, offset - PAGE)), r.poke()) }, '← Previous'),
      h('span', {}, listing.total === 0 ? '' : `${offset + 1}–${Math.min(offset + PAGE, listing.total)} of ${listing.total}`),
      h('button', { type: 'button', disabled: offset + PAGE >= listing.total, onclick: () => ((offset += PAGE), r.poke()) }, 'Next →'),
    );
  };
  const r = reloader(ctx, load, 2000, 30_000);

  // Live rows: coalesce events per frame.
  let pending: BootEvent[] = [];
  let frame = 0;
  const apply = () => {
    frame = 0;
    const batch = pending;
    pending = [];
    const changed = new Set<string>();
    let unseen = false;
    for (const event of batch) {
      const entry = event.mac ? rows.get(event.mac) : undefined;
      if (!entry) {
        if (event.kind === 'dhcp') unseen = true;
        continue;
      }
      const activity = addEvent({ fetched: entry.fetched }, event);
      entry.fetched = activity.fetched;
      entry.row = { ...entry.row, state: machineState(entry.row.known, activity, Date.now()), lastPhase: phaseOf(event), lastAt: event.at, lastSeen: event.at };
      changed.add(event.mac!);
    }
    for (const mac of changed) {
      const entry = rows.get(mac)!;
      fillRow(entry.tr, entry.row);
    }
    if (unseen) r.poke();
  };
  ctx.onEvent((event) => {
    // A hidden tab gets no frames: rather than hold an unbounded backlog, reload when it shows again.
    if (pending.length >= 20_000) {
      pending = [];
      r.poke();
    }
    pending.push(event);
    frame ||= requestAnimationFrame(apply);
  });
  return {
    unmount() {
      r.stop();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
