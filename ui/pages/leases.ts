/** Leases: by subnet (the DHCP pools), filtered by text and state, each releasable (with the token). */
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { reloader, type Page, type PageContext } from '../page.js';
import type { LeaseView as Lease } from '../../src/http/routes/leases.js';


/** True when `ip` is inside `cidr` (`10.0.0.0/24`). */
function inSubnet(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  if (!base || bits === undefined) return false;
  const n = (a: string) => a.split('.').reduce((s, p) => s * 256 + Number(p), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}

/** Mounts the page. */
export function leasesPage(root: HTMLElement, ctx: PageContext): Page {
  const filter = h('input', { type: 'search', id: 'lease-filter', name: 'filter', placeholder: 'MAC, address or hostname', size: 30 });
  const state = h('select', { id: 'lease-state', name: 'state' }, h('option', { value: '' }, 'active'), ...['all', 'bound', 'offered', 'released', 'declined'].map((s) => h('option', { value: s }, s)));
  const body = h('div', {});
  root.append(h('h1', {}, 'Leases'), h('div', { class: 'filters' }, h('label', { for: 'lease-filter' }, 'Filter'), filter, h('label', { for: 'lease-state' }, 'State'), state), body);
  const load = async () => {
    const [leases, overview] = await Promise.all([api<Lease[]>('GET', '/api/v1/leases'), api<{ pools: Array<{ pool: string }> }>('GET', '/api/v1/overview')]);
    const q = filter.value.trim().toLowerCase();
    const shown = leases.filter(
      (l) => (state.value === '' ? l.active : state.value === 'all' || l.state === state.value) && (q === '' || [l.mac, l.ip, l.hostname ?? ''].some((v) => v.toLowerCase().includes(q))),
    );
    const subnets = overview.pools.map((p) => p.pool);
    const groups = new Map<string, Lease[]>();
    for (const l of shown) {
      const subnet = subnets.find((s) => inSubnet(l.ip, s)) ?? 'other';
      groups.set(subnet, [...(groups.get(subnet) ?? []), l]);
    }
    if (shown.length === 0) return replace(body, h('p', { class: 'muted' }, 'No lease matches.'));
    replace(
      body,
      ...[...groups].map(([subnet, list]) =>
        h(
          'section',
          { 'aria-label': `subnet ${subnet}` },
          h('h2', {}, `Subnet ${subnet}`),
          h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ...['Address', 'MAC', 'Hostname', 'State', 'Until', ''].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              ...list.map((l) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'mono' }, l.ip),
                  h('td', { class: 'mono' }, h('a', { href: `#/machines/${l.mac}` }, l.mac)),
                  h('td', {}, l.hostname ?? '—'),
                  h('td', {}, `${l.state}${l.active ? '' : ' (expired)'}`),
                  h('td', {}, new Date(l.expiresAt).toLocaleString()),
                  h(
                    'td',
                    {},
                    l.active
                      ? h(
                          'button',
                          {
                            type: 'button',
                            'aria-label': `Release ${l.ip}`,
                            onclick: async () => {
                              try {
                                await api('DELETE', `/api/v1/leases/${l.ip}`);
                                ctx.info(`${l.ip} released.`);
                                r.poke();
                              } catch (error) {
                                ctx.fail(error);
                              }
                            },
                          },
                          'Release',
                        )
                      : '',
                  ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  };
  const r = reloader(ctx, load, 1000, 30_000);
  filter.addEventListener('input', () => r.poke());
  state.addEventListener('change', () => r.poke());
  ctx.onEvent((e) => e.kind === 'dhcp' && r.poke());
  return { unmount: () => r.stop() };
}
