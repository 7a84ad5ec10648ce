/**
 * Inventory: the inventory in effect (`GET /api/v1/inventory`), each document with its source (config
 * file or store); create, edit and delete store documents, with the server's validation errors on the
 * field they belong to (the server writes all or nothing); CSV import of hosts. A config-file document is
 * read-only; "Override" starts a store document with the same key, which takes precedence.
 */
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { clearErrors, showErrors } from '../form-errors.js';
import { reloader, type Page, type PageContext } from '../page.js';

type Kind = 'profiles' | 'groups' | 'hosts';
type Doc = Record<string, unknown> & { source?: string };
interface Effective {
  profiles: Doc[];
  groups: Doc[];
  hosts: Doc[];
}

const KEY: Record<Kind, string> = { profiles: 'name', groups: 'name', hosts: 'mac' };
const SHOWN = 200;

/** Mounts the page. */
export function inventoryPage(root: HTMLElement, ctx: PageContext): Page {
  let data: Effective = { profiles: [], groups: [], hosts: [] };
  const editor = h('div', { id: 'editor' });
  const lists = h('div', {});
  const filter = h('input', { type: 'search', id: 'inventory-filter', placeholder: 'name, MAC, profile', size: 30 });
  const csv = h('textarea', { id: 'csv', rows: 4, cols: 60, 'data-path': 'line', placeholder: 'mac,hostname,ip,profile,labels' });
  const csvForm = h(
    'form',
    { 'aria-labelledby': 'import-h' },
    h('h2', { id: 'import-h' }, 'Import hosts from CSV'),
    h('label', { for: 'csv' }, 'CSV (columns mac,hostname,ip,profile,labels; labels as key=value;key=value)'),
    csv,
    h('div', { class: 'actions' }, h('button', { class: 'primary' }, 'Import')),
  );
  csvForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(csvForm);
    try {
      const result = await api<{ imported: number }>('POST', '/api/v1/import', csv.value, 'text/csv');
      ctx.info(`${result.imported} hosts imported.`);
      csv.value = '';
      r.poke();
    } catch (error) {
      showErrors(csvForm, error);
    }
  });
  root.append(
    h('h1', {}, 'Inventory'),
    h('div', { class: 'filters' }, h('label', { for: 'inventory-filter' }, 'Filter'), filter, ...(['profiles', 'groups', 'hosts'] as const).map((k) => h('button', { type: 'button', onclick: () => edit(k, null) }, `New ${k.slice(0, -1)}`))),
    editor,
    lists,
    csvForm,
  );

  /** The editor: key and scalar text fields as inputs, everything else as JSON. */
  const edit = (kind: Kind, doc: Doc | null) => {
    const key = KEY[kind];
    const base: Doc = doc ? { ...doc } : kind === 'profiles' ? { name: '', kind: 'linux', kernel: '' } : kind === 'groups' ? { name: '', selector: {} } : { mac: '', hostname: '' };
    const original = doc && doc.source === 'store' ? String(doc[key]) : null;
    delete base.source;
    // A host's effective profile may come from a group: only its own is part of the document.
    if (kind === 'hosts' && (base.profile === null || (doc && base.profileFrom !== 'host'))) delete base.profile;
    delete base.profileFrom;
    delete base.groups;
    const fields = Object.keys(base).filter((k) => typeof base[k] === 'string' || k === key);
    const rest: Doc = {};
    for (const [k, v] of Object.entries(base)) if (!fields.includes(k)) rest[k] = v;
    const inputs = fields.map((f) => h('input', { id: `f-${f}`, name: f, 'data-path': f, value: String(base[f] ?? ''), size: 40 }));
    const json = h('textarea', { id: 'f-json', rows: 8, cols: 60, 'data-path': '*' }, JSON.stringify(rest, null, 2));
    const form = h(
      'form',
      { class: 'editor', 'aria-labelledby': 'editor-h' },
      h('h2', { id: 'editor-h' }, original ? `Edit ${kind.slice(0, -1)} ${original}` : doc ? `Override ${kind.slice(0, -1)} ${String(doc[key])} (config file) in the store` : `New ${kind.slice(0, -1)}`),
      ...fields.flatMap((f, i) => [h('label', { for: `f-${f}` }, f), inputs[i]!]),
      h('label', { for: 'f-json' }, 'Other fields (JSON)'),
      json,
      h('div', { class: 'actions' }, h('button', { class: 'primary' }, 'Save'), h('button', { type: 'button', onclick: () => replace(editor) }, 'Cancel')),
    );
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(form);
      let body: Doc;
      try {
        body = JSON.parse(json.value || '{}') as Doc;
      } catch (error) {
        showErrors(form, new Error(`Other fields: not JSON (${(error as Error).message})`));
        return;
      }
      fields.forEach((f, i) => {
        const v = inputs[i]!.value.trim();
        if (v !== '') body[f] = v;
      });
      try {
        if (original) await api('PUT', `/api/v1/${kind}/${encodeURIComponent(original)}`, body);
        else await api('POST', `/api/v1/${kind}`, body);
        ctx.info(`${kind.slice(0, -1)} ${String(body[key])} saved.`);
        replace(editor);
        r.poke();
      } catch (error) {
        // Problems on fields the form has no input for land on the JSON box.
        const placed = showErrors(form, error);
        if (placed === 0) json.setAttribute('aria-invalid', 'true');
      }
    });
    replace(editor, form);
    (inputs[0] ?? json).focus();
  };

  const remove = async (kind: Kind, key: string) => {
    if (!confirm(`Delete ${kind.slice(0, -1)} ${key}?`)) return;
    try {
      await api('DELETE', `/api/v1/${kind}/${encodeURIComponent(key)}`);
      ctx.info(`${kind.slice(0, -1)} ${key} deleted.`);
      r.poke();
    } catch (error) {
      ctx.fail(error);
    }
  };

  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const columns: Record<Kind, string[]> = { profiles: ['name', 'kind'], groups: ['name', 'profile'], hosts: ['mac', 'hostname', 'ip', 'profile', 'profileFrom'] };
    replace(
      lists,
      ...(['profiles', 'groups', 'hosts'] as const).map((kind) => {
        const docs = data[kind].filter((d) => q === '' || JSON.stringify(d).toLowerCase().includes(q));
        return h(
          'section',
          { 'aria-labelledby': `${kind}-h` },
          h('h2', { id: `${kind}-h` }, `${kind[0]!.toUpperCase()}${kind.slice(1)} (${docs.length})`),
          h(
            'table',
            { class: `inventory ${kind}` },
            h('thead', {}, h('tr', {}, ...[...columns[kind], 'source', ''].map((t) => h('th', { scope: 'col' }, t)))),
            h(
              'tbody',
              {},
              ...docs.slice(0, SHOWN).map((d) => {
                const key = String(d[KEY[kind]]);
                return h(
                  'tr',
                  { 'data-key': key },
                  ...columns[kind].map((c) => h('td', {}, d[c] === undefined || d[c] === null ? '—' : String(d[c]))),
                  h('td', {}, h('span', { class: `badge ${d.source}` }, d.source === 'config' ? 'config file' : 'store')),
                  h(
                    'td',
                    { class: 'row-actions' },
                    h('button', { type: 'button', 'aria-label': `${d.source === 'store' ? 'Edit' : 'Override'} ${key}`, onclick: () => edit(kind, d) }, d.source === 'store' ? 'Edit' : 'Override'),
                    d.source === 'store' ? h('button', { type: 'button', 'aria-label': `Delete ${key}`, onclick: () => remove(kind, key) }, 'Delete') : null,
                  ),
                );
              }),
            ),
          ),
          docs.length > SHOWN ? h('p', { class: 'muted' }, `${docs.length - SHOWN} more: narrow the filter.`) : null,
        );
      }),
    );
  };
  const load = async () => {
    data = await api<Effective>('GET', '/api/v1/inventory');
    draw();
  };
  const r = reloader(ctx, load, 1000);
  filter.addEventListener('input', draw);
  return { unmount: () => r.stop() };
}
