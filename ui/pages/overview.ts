/** Overview: boots and failures per minute over the last hour, machines booting now, recent transfers, pool use, recent errors. */
import { api } from '../api.js';
import { ago, bytes, clock, duration, h, replace, svg } from '../dom.js';
import { reloader, type Page, type PageContext } from '../page.js';
import type { Overview } from '../../src/http/routes/overview.js';
import type { ActiveTransferList } from '../../src/http/routes/transfers.js';
import type { RogueServersAnswer } from '../../src/http/routes/rogue-servers.js';

/** How often the running transfers are read. */
const ACTIVE_POLL_MS = 1000;

/** The running transfers: file, client, bytes so far of the size (a progress bar), rate. */
function activeTable(list: ActiveTransferList): Element {
  if (list.transfers.length === 0) return h('p', { class: 'muted' }, 'None running.');
  return h(
    'table',
    { class: 'active-transfers' },
    h('thead', {}, h('tr', {}, ...['via', 'file', 'client', 'progress', 'rate', 'running for'].map((t) => h('th', { scope: 'col' }, t)))),
    h(
      'tbody',
      {},
      ...list.transfers.map((t) =>
        h(
          'tr',
          { 'data-transfer': t.id },
          h('td', {}, t.via),
          h('td', { class: 'file' }, t.file),
          h('td', { class: 'mono' }, `${t.ip}:${t.port}`),
          h(
            'td',
            { class: 'num' },
            h('progress', { max: Math.max(1, t.size), value: t.bytes, 'aria-label': `${t.file}: ${bytes(t.bytes)} of ${bytes(t.size)}` }),
            ` ${bytes(t.bytes)} / ${bytes(t.size)}`,
          ),
          h('td', { class: 'num' }, `${bytes(t.rate)}/s`),
          h('td', { class: 'num' }, duration(Math.max(0, list.at - t.startedAt))),
        ),
      ),
    ),
  );
}
import { phaseOf } from '../../src/http/ui/machine-state.js';

/** The per-minute chart: boots as bars, failures as red bars on top, with a text alternative. */
function chart(perMinute: Overview['perMinute']): Element {
  const width = 600;
  const height = 120;
  const max = Math.max(1, ...perMinute.map((m) => m.boots + m.failures));
  const barWidth = width / perMinute.length;
  const bars = perMinute.flatMap((m, i) => {
    const boots = (m.boots / max) * (height - 14);
    const failures = (m.failures / max) * (height - 14);
    return [
      svg('rect', { x: i * barWidth + 1, y: height - boots, width: barWidth - 2, height: boots, class: 'bar-ok' }),
      svg('rect', { x: i * barWidth + 1, y: height - boots - failures, width: barWidth - 2, height: failures, class: 'bar-fail' }),
    ];
  });
  const total = perMinute.reduce((s, m) => s + m.boots, 0);
  const failures = perMinute.reduce((s, m) => s + m.failures, 0);
  const label = `${total} boots and ${failures} failures in the last hour; at most ${max} in one minute`;
  return h(
    'figure',
    { class: 'chart' },
    svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'none' }, svg('title', {}, label), ...bars),
    h('figcaption', {}, label, ' (', h('span', { class: 'key ok' }, 'boots'), ' ', h('span', { class: 'key fail' }, 'failures'), ', one bar a minute)'),
  );
}

/** A warning when other DHCP servers answer on the boot network (rogue DHCP detection), or nothing. */
function rogueBanner(answer: RogueServersAnswer | null): Element | string {
  if (answer === null || answer.servers.length === 0) return '';
  const items = answer.servers.map((s) =>
    h(
      'li',
      {},
      h('strong', { class: 'mono' }, s.serverId),
      ` — last ${s.lastMessageType} ${ago(s.lastSeen, answer.at)}`,
      s.bootFile ? `, boot file ${s.bootFile}` : '',
      `, seen via ${s.via.join(', ')} (${s.sightings} messages)`,
    ),
  );
  return h(
    'section',
    { class: 'banner error rogue-dhcp', role: 'alert', 'aria-label': 'other DHCP servers' },
    h('p', {}, h('strong', {}, answer.servers.length === 1 ? 'Another DHCP server answers on the boot network.' : `${answer.servers.length} other DHCP servers answer on the boot network.`), ' Machines may take their address or boot file from it. If it belongs there, list it in dhcp.rogueDetection.allowedServers.'),
    h('ul', {}, ...items),
  );
}

/** A labelled bar for one pool. */
function poolBar(pool: Overview['pools'][number]): Element {
  const share = pool.size > 0 ? pool.used / pool.size : 0;
  const meter = h('meter', { min: 0, max: pool.size, value: pool.used, high: Math.floor(pool.size * 0.9), optimum: 0, 'aria-label': `pool ${pool.pool}` });
  return h('div', { class: 'pool' }, h('span', { class: 'pool-name' }, pool.pool), meter, h('span', {}, `${pool.used} / ${pool.size} used (${Math.round(share * 100)} %)`));
}

/** Mounts the page. */
export function overviewPage(root: HTMLElement, ctx: PageContext): Page {
  const body = h('div', { class: 'overview' }, h('p', { class: 'loading' }, 'Loading…'));
  const running = h('div', { id: 'active-transfers', 'aria-live': 'off' }, h('p', { class: 'loading' }, 'Loading…'));
  root.append(h('h1', {}, 'Overview'), body, h('section', { 'aria-labelledby': 'running-h' }, h('h2', { id: 'running-h' }, 'Transfers running now'), running));
  const active = reloader(
    ctx,
    async () => replace(running, activeTable(await api<ActiveTransferList>('GET', '/api/v1/transfers/active'))),
    ACTIVE_POLL_MS,
    ACTIVE_POLL_MS,
  );
  const load = async () => {
    const [o, m, rogue] = await Promise.all([
      api<Overview>('GET', '/api/v1/overview'),
      api<{ counts: Record<string, number> }>('GET', '/api/v1/machines?limit=1'),
      // An older server without the route: no banner rather than a broken page.
      api<RogueServersAnswer>('GET', '/api/v1/dhcp/rogue-servers').catch(() => null),
    ]);
    const c = m.counts;
    replace(
      body,
      rogueBanner(rogue),
      h(
        'section',
        { class: 'cards', 'aria-label': 'machines' },
        ...([
          ['booting now', o.bootingNow, 'booting'],
          ['booted', c.booted ?? 0, 'booted'],
          ['failed', c.failed ?? 0, 'failed'],
          ['idle', c.idle ?? 0, 'idle'],
          ['unknown, seen lately', c.unknown ?? 0, 'unknown'],
        ] as const).map(([label, n, state]) => h('a', { class: `card ${state}`, href: `#/machines?state=${state}` }, h('strong', {}, n), h('span', {}, label))),
      ),
      h('section', { 'aria-labelledby': 'boots-h' }, h('h2', { id: 'boots-h' }, 'Boots per minute'), chart(o.perMinute)),
      h(
        'section',
        { 'aria-labelledby': 'pools-h' },
        h('h2', { id: 'pools-h' }, 'DHCP pools'),
        o.pools.length === 0 ? h('p', { class: 'muted' }, 'No DHCP pool (DHCP is off or in proxy mode).') : h('div', {}, ...o.pools.map(poolBar)),
      ),
      h(
        'section',
        { 'aria-labelledby': 'transfers-h' },
        h('h2', { id: 'transfers-h' }, 'Transfers in the last minute'),
        o.transfers.length === 0
          ? h('p', { class: 'muted' }, 'None.')
          : h(
              'table',
              {},
              h('thead', {}, h('tr', {}, ...['when', 'machine', 'via', 'file', 'size', 'time', 'throughput'].map((t) => h('th', { scope: 'col' }, t)))),
              h(
                'tbody',
                {},
                ...o.transfers.map((t) =>
                  h(
                    'tr',
                    { class: t.ok ? '' : 'failure' },
                    h('td', {}, clock(t.at)),
                    h('td', {}, t.mac ? h('a', { href: `#/machines/${t.mac}` }, t.mac) : (t.ip ?? '—')),
                    h('td', {}, t.via),
                    h('td', { class: 'file' }, t.file),
                    h('td', { class: 'num' }, bytes(t.bytes)),
                    h('td', { class: 'num' }, duration(t.durationMs)),
                    h('td', { class: 'num' }, `${bytes(t.throughput)}/s`),
                  ),
                ),
              ),
            ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'errors-h' },
        h('h2', { id: 'errors-h' }, 'Recent errors'),
        o.recentErrors.length === 0
          ? h('p', { class: 'muted' }, 'No error in the last hour.')
          : h(
              'ul',
              { class: 'errors' },
              ...o.recentErrors.map((e) =>
                h('li', {}, h('time', {}, ago(e.at, o.at)), ' ', e.mac ? h('a', { href: `#/machines/${e.mac}` }, e.mac) : (e.ip ?? ''), ' ', phaseOf(e), e.kind === 'tftp' && e.error ? ` — ${e.error}` : ''),
              ),
            ),
      ),
    );
  };
  const r = reloader(ctx, load, 2000, 15_000);
  ctx.onEvent(() => r.poke());
  return {
    unmount: () => {
      r.stop();
      active.stop();
    },
  };
}
