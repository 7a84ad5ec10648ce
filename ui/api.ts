/**
 * The console's only way to the data: `fetch` on the documented API. The token lives in sessionStorage
 * (this tab only, gone when it closes) and travels in the `Authorization` header, never in a URL; there
 * is no cookie, so another site cannot make the browser send an authenticated request (no CSRF).
 *
 * A request that takes longer than `SLOW_MS` is aborted with a clear "the server is slow" error, a network
 * failure says the server does not answer: pages show these instead of going blank.
 */

const TOKEN_KEY = 'xenboot.token';
/** Abort a request after this long. */
export const SLOW_MS = 10_000;

/** An error answer of the API (its JSON body), or a network failure (`status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path?: string,
    readonly problems: Array<{ path: string; message: string }> = [],
  ) {
    super(message);
  }
}

/** The token of this tab, if one was given. */
export function getToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

/** Keeps (or, with `null`, forgets) the token for this tab. */
export function setToken(token: string | null): void {
  if (token === null || token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/**
 * True when the server refused the token this tab sent (403 `wrong token`, see `src/http/auth.ts`), as
 * opposed to a 403 for something the token cannot fix (a read-only API, a path outside the root).
 */
export function isTokenRefused(status: number, message: string | undefined, sentToken: boolean): boolean {
  return status === 403 && sentToken && message === 'wrong token';
}

/** Called when a request answers 401, or 403 for a wrong token: the app asks for the token. */
let onUnauthorized: (error: ApiError) => void = () => {};
/** Sets what happens on a 401. */
export function whenUnauthorized(handler: (error: ApiError) => void): void {
  onUnauthorized = handler;
}

/** The headers every request carries. */
export function authHeaders(): Record<string, string> {
  const token = getToken();
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** One API request; resolves with the parsed JSON (or `null` for 204), rejects with `ApiError`. */
export async function api<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), SLOW_MS);
  let response: Response;
  try {
    const headers: Record<string, string> = { accept: 'application/json', ...authHeaders() };
    const init: RequestInit = { method, headers, signal: controller.signal, cache: 'no-store', credentials: 'omit' };
    if (body !== undefined) {
      headers['content-type'] = contentType;
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    response = await fetch(path, init);
  } catch (error) {
    const slow = controller.signal.aborted;
    throw new ApiError(0, slow ? 'slow' : 'network', slow ? `the server did not answer within ${SLOW_MS / 1000} s` : `the server does not answer (${(error as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 204) return null as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    if (response.ok) throw new ApiError(response.status, 'bad-answer', `the server answered ${path} with something that is not JSON`);
  }
  if (!response.ok) {
    const b = (json ?? {}) as { code?: string; message?: string; path?: string; problems?: Array<{ path: string; message: string }> };
    const error = new ApiError(response.status, b.code ?? 'error', b.message ?? `HTTP ${response.status}`, b.path, b.problems ?? []);
    if (response.status === 401 || isTokenRefused(response.status, b.message, getToken() !== null)) onUnauthorized(error);
    throw error;
  }
  return json as T;
}

/** A query string from the defined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
