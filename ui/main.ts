/**
 * The console's shell: navigation, the token dialog, the live-stream indicator and the message banner,
 * and a hash router (`#/`, `#/machines`, `#/machines/<mac>`, `#/inventory`, `#/leases`) that mounts one
 * page at a time. One live stream serves every page, so moving between pages never drops it.
 */
import './console.css';
import { ApiError, getToken, isTokenRefused, setToken, whenUnauthorized } from './api.js';
import { h, replace } from './dom.js';
import { openLiveStream, type LiveStream } from './live.js';
import type { BootEvent } from '../src/timeline/types.js';
import { inventoryPage } from './pages/inventory.js';
import { leasesPage } from './pages/leases.js';
import { machinePage } from './pages/machine.js';
import { machinesPage } from './pages/machines.js';
import { overviewPage } from './pages/overview.js';
import type { Page, PageContext } from './page.js';

const app = document.getElementById('app')!;
const banner = h('div', { class: 'banner', role: 'alert', hidden: true });
const liveBadge = h('span', { class: 'live', id: 'live-state', role: 'status' }, 'connecting…');
const main = h('main', { id: 'main', tabindex: -1 });
const nav = h(
  'nav',
  { 'aria-label': 'pages' },
  ...[
    ['#/', 'Overview'],
    ['#/machines', 'Machines'],
    ['#/inventory', 'Inventory'],
    ['#/leases', 'Leases'],
  ].map(([href, label]) => h('a', { href: href! }, label!)),
);

// --- token dialog --------------------------------------------------------------------------------------
const tokenInput = h('input', { type: 'password', id: 'token-input', name: 'token', autocomplete: 'off', spellcheck: 'false', size: 40, required: true, 'aria-describedby': 'token-why' });
const tokenWhy = h('p', { id: 'token-why', role: 'alert' });
const tokenDialog = h(
  'dialog',
  { id: 'token-dialog', 'aria-labelledby': 'token-title' },
  h(
    'form',
    { method: 'dialog' },
    h('h2', { id: 'token-title' }, 'API token'),
    tokenWhy,
    h('label', { for: 'token-input' }, 'Token (kept in this tab only, sent as a bearer header)'),
    tokenInput,
    h('div', { class: 'actions' }, h('button', { value: 'save', class: 'primary' }, 'Use token'), h('button', { value: 'forget', type: 'submit', formnovalidate: true }, 'Forget token'), h('button', { value: 'cancel', formnovalidate: true }, 'Cancel')),
  ),
);
tokenDialog.addEventListener('close', () => {
  if (tokenDialog.returnValue === 'save') setToken(tokenInput.value.trim());
  if (tokenDialog.returnValue === 'forget') setToken(null);
  tokenInput.value = '';
  if (tokenDialog.returnValue === 'save' || tokenDialog.returnValue === 'forget') {
    updateTokenButton();
    restartLive();
    route();
  }
});
const tokenButton = h('button', { type: 'button', id: 'token-button', onclick: () => askToken('Changes need the API token (http.token).') }, 'Token');
function updateTokenButton(): void {
  tokenButton.textContent = getToken() ? 'Token ✓' : 'Token';
  tokenButton.setAttribute('aria-label', getToken() ? 'API token (set)' : 'API token (not set)');
}
function askToken(why: string, refused = false): void {
  tokenWhy.textContent = why;
  tokenWhy.className = refused ? 'token-error' : '';
  // Escape closes the dialog without a return value, which would leave the last one ("save") in place
  // and, with the input emptied, forget the token: start every opening from none.
  if (!tokenDialog.open) {
    tokenDialog.returnValue = '';
    tokenDialog.showModal();
  }
  tokenInput.focus();
}
whenUnauthorized((error) =>
  isTokenRefused(error.status, error.message, getToken() !== null)
    ? askToken('The server refused the token of this tab (wrong token). Enter the token from http.token.', true)
    : askToken(`The server asks for the API token: ${error.message}`),
);

// --- banner --------------------------------------------------------------------------------------------
function showMessage(text: string | null, kind: 'error' | 'info' = 'error'): void {
  banner.hidden = text === null;
  banner.className = `banner ${kind}`;
  banner.textContent = text ?? '';
}

// --- live stream ---------------------------------------------------------------------------------------
const listeners = new Set<(event: BootEvent) => void>();
let live: LiveStream | null = null;
function restartLive(): void {
  live?.close();
  live = openLiveStream(
    (event) => {
      for (const listener of listeners) listener(event);
    },
    (state) => {
      liveBadge.className = `live ${state.kind}`;
      liveBadge.textContent =
        state.kind === 'live' ? 'live' : state.kind === 'connecting' ? 'connecting…' : state.kind === 'unauthorized' ? `not live: ${state.reason}` : `not live — retrying in ${Math.round(state.inMs / 1000)} s (${state.reason})`;
    },
  );
}

// --- router --------------------------------------------------------------------------------------------
let current: Page | null = null;
function route(): void {
  current?.unmount?.();
  listeners.clear();
  showMessage(null);
  const [hash = '/', search = ''] = (location.hash.replace(/^#/, '') || '/').split('?');
  for (const a of nav.querySelectorAll('a')) {
    const active = hash === a.getAttribute('href')!.slice(1) || (a.getAttribute('href') === '#/machines' && hash.startsWith('/machines/'));
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const ctx: PageContext = {
    onEvent: (listener) => listeners.add(listener),
    fail: (error) => showMessage(describe(error)),
    info: (text) => showMessage(text, 'info'),
    clear: () => showMessage(null),
  };
  replace(main);
  const machine = /^\/machines\/(.+)$/.exec(hash);
  if (machine) current = machinePage(main, ctx, decodeURIComponent(machine[1]!));
  else if (hash === '/machines') current = machinesPage(main, ctx, new URLSearchParams(search));
  else if (hash === '/inventory') current = inventoryPage(main, ctx);
  else if (hash === '/leases') current = leasesPage(main, ctx);
  else current = overviewPage(main, ctx);
  document.title = `${main.querySelector('h1')?.textContent ?? 'Console'} · xenboot`;
}

/** A sentence for any error a page met. */
function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return `xenboot does not answer: ${error.message}. The page retries on its own.`;
    if (error.status === 401) return `The server needs the API token to show this (${error.message}).`;
    if (isTokenRefused(error.status, error.message, getToken() !== null)) return 'The server refused the token of this tab (wrong token): use the Token button to enter the right one.';
    if (error.status === 403) return `Refused: ${error.message}.`;
    return `${error.message} (HTTP ${error.status}${error.path ? `, ${error.path}` : ''})`;
  }
  return `Something went wrong in the page: ${(error as Error).message}`;
}

replace(
  app,
  // The hash is the router's: the skip link moves the focus itself instead of setting `#main`.
  h('a', { href: '#main', class: 'skip', onclick: (e: Event) => (e.preventDefault(), main.focus()) }, 'Skip to content'),
  h('header', {}, h('a', { href: '#/', class: 'brand' }, 'xenboot'), nav, h('div', { class: 'tools' }, liveBadge, tokenButton)),
  banner,
  main,
  tokenDialog,
);
updateTokenButton();
// After moving to another page, the focus goes to its content (as a page load would put it at the top),
// so a keyboard user does not tab through the navigation again.
window.addEventListener('hashchange', () => {
  route();
  main.focus({ preventScroll: true });
});
window.addEventListener('error', (e) => showMessage(`Something went wrong in the page: ${e.message}`));
restartLive();
route();
