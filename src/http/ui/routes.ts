/**
 * The operator's console at `/`: one HTML page and its two assets, `/ui/main.js` and `/ui/main.css`.
 * Everything the pages show they read from the documented API with `fetch`, so the console has no path
 * into the data of its own and needs no access rule of its own: the page and its assets are public (like
 * `/docs`), the API answers each request according to `http.readAccess` and the token.
 *
 * Assets are compressed once (brotli and gzip) and served by `Accept-Encoding`; their URLs carry a hash of
 * their content, so they are cached for a year, while the page itself is revalidated (ETag) every time.
 * A Content-Security-Policy allows scripts, styles and connections to this origin only: nothing is
 * loaded from elsewhere (air-gapped sites), and no inline script can run.
 */
import { createHash } from 'node:crypto';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { loadUiBundle, type UiBundle } from './bundle.js';

/** One asset, ready in every encoding. */
interface Asset {
  type: string;
  etag: string;
  identity: Buffer;
  gzip: Buffer;
  br: Buffer;
  cache: string;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

function asset(type: string, text: string, cache: string): Asset {
  const identity = Buffer.from(text, 'utf8');
  return {
    type,
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    identity,
    gzip: gzipSync(identity, { level: 9 }),
    br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    cache,
  };
}

/** The page: a shell the script fills; `<noscript>` says what to do without JavaScript. */
export function pageHtml(jsUrl: string, cssUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>xenboot</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${cssUrl}">
<script defer src="${jsUrl}"></script>
</head>
<body>
<noscript><p class="banner error">The xenboot console needs JavaScript. The API is at <a href="/docs">/docs</a>.</p></noscript>
<div id="app" aria-live="polite"><p class="loading">Loading the xenboot console…</p></div>
</body>
</html>
`;
}

/** Builds the three assets from a bundle. */
export function consoleAssets(bundle: UiBundle): Map<string, Asset> {
  const immutable = 'public, max-age=31536000, immutable';
  const js = asset('text/javascript; charset=utf-8', bundle.js, immutable);
  const css = asset('text/css; charset=utf-8', bundle.css, immutable);
  const version = (a: Asset) => encodeURIComponent(a.etag.slice(1, 12));
  const html = asset('text/html; charset=utf-8', pageHtml(`/ui/main.js?v=${version(js)}`, `/ui/main.css?v=${version(css)}`), 'no-cache');
  return new Map([
    ['/', html],
    ['/ui/main.js', js],
    ['/ui/main.css', css],
  ]);
}

/** Sends an asset in the best encoding the client accepts; 304 when its ETag matches. */
function send(request: FastifyRequest, reply: FastifyReply, a: Asset): FastifyReply {
  void reply.header('content-type', a.type).header('cache-control', a.cache).header('etag', a.etag).header('vary', 'accept-encoding');
  void reply.header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
  if (a.type.startsWith('text/html')) void reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY');
  if (request.headers['if-none-match'] === a.etag) return reply.status(304).send();
  const accepted = String(request.headers['accept-encoding'] ?? '');
  const [encoding, body] = /\bbr\b/.test(accepted) ? ['br', a.br] : /\bgzip\b/.test(accepted) ? ['gzip', a.gzip] : [null, a.identity];
  if (encoding) void reply.header('content-encoding', encoding);
  return reply.header('content-length', body.length).send(body);
}

/**
 * Registers `/`, `/ui/main.js` and `/ui/main.css`. The bundle is made on the first request (and kept),
 * so starting xenboot costs nothing when nobody opens the console; `bundle` replaces the loader in tests.
 */
export function registerConsoleRoutes(app: FastifyInstance, bundle: () => Promise<UiBundle> = loadUiBundle): void {
  let assets: Promise<Map<string, Asset>> | null = null;
  const load = () => {
    assets ??= bundle().then(consoleAssets);
    // A failed build is retried on the next request rather than remembered.
    assets.catch(() => (assets = null));
    return assets;
  };
  for (const path of ['/', '/ui/main.js', '/ui/main.css']) {
    app.get(path, { schema: { hide: true } }, async (request, reply) => {
      const a = (await load()).get(path)!;
      return send(request, reply, a);
    });
  }
}
