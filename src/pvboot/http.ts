/**
 * HTTP GET for `xenboot-pvboot`, on `node:http`/`node:https` only (no global `fetch`: Debian's Node 18
 * takes it from a separate `node-undici` package a dom0 may not have), with a deadline per request and
 * bounded retries with exponential backoff for the failures a busy server or network causes. Every
 * failure is a `PvbootError` whose message is one line for the xl log.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A failure with a message meant for the operator (exit 1). */
export class PvbootError extends Error {
  /** True when trying again may help (network error, 5xx, 429, a short or corrupt download). */
  readonly retryable: boolean;

  constructor(message: string, retryable = false) {
    super(message);
    this.retryable = retryable;
  }
}

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Attempts in all, the first included (at least 1). */
  attempts: number;
  /** Wait before the second attempt; doubled for each further one, with up to 25 % jitter. */
  initialDelayMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Four attempts, 0.5 s, 1 s and 2 s apart (a little more with jitter). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, initialDelayMs: 500 };

/**
 * Runs `attempt` until it succeeds, throws a non-retryable error, or the attempts are used up; the last
 * error says how many attempts were made. `onRetry` hears each retried failure.
 */
export async function withRetries<T>(policy: RetryPolicy, attempt: (n: number) => Promise<T>, onRetry?: (error: PvbootError, n: number) => void): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = Math.max(1, policy.attempts);
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const failure = error instanceof PvbootError ? error : new PvbootError(oneLine(error), false);
      if (!failure.retryable || n >= attempts) {
        if (n > 1) throw new PvbootError(`${failure.message} (after ${n} attempts)`, false);
        throw failure;
      }
      onRetry?.(failure, n);
      const delay = policy.initialDelayMs * 2 ** (n - 1);
      await sleep(delay + Math.floor(Math.random() * delay * 0.25));
    }
  }
}

/** An error's message on one line (no stack, no newlines). */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** A response whose status is 2xx; the body is still to be read. */
export interface OkResponse {
  message: IncomingMessage;
  /** `Content-Length`, when the server sent one. */
  contentLength: number | null;
}

async function readText(message: IncomingMessage, limit = 4096): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of message as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, limit);
}

/** The reason a failed response gives: xenboot's JSON `message`, else the start of the body. */
async function reasonOf(message: IncomingMessage): Promise<string> {
  const text = await readText(message).catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return oneLine(body.message);
  } catch {
    /* not JSON */
  }
  return oneLine(text.slice(0, 200)) || (message.statusMessage ?? '');
}

/**
 * GETs `url`; resolves with a 2xx response (the caller reads and destroys the body) or throws a
 * `PvbootError`, retryable for network errors, timeouts, 5xx and 429. `timeoutMs` bounds the wait for the
 * response and every pause between body chunks.
 */
export function httpGet(url: string, timeoutMs: number): Promise<OkResponse> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new PvbootError(`${url}: not a URL`));
  }
  const request = parsed.protocol === 'https:' ? httpsRequest : parsed.protocol === 'http:' ? httpRequest : null;
  if (request === null) return Promise.reject(new PvbootError(`${url}: only http and https URLs are supported`));
  return new Promise<OkResponse>((resolve, reject) => {
    const req = request(parsed, { method: 'GET', headers: { 'user-agent': 'xenboot-pvboot' }, timeout: timeoutMs }, (message) => {
      const status = message.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        const header = message.headers['content-length'];
        const length = header !== undefined && /^\d+$/.test(header) ? Number(header) : null;
        message.setTimeout(timeoutMs, () => message.destroy(new PvbootError(`${url}: no data for ${timeoutMs / 1000} s`, true)));
        resolve({ message, contentLength: length });
        return;
      }
      void reasonOf(message).then((reason) => reject(new PvbootError(`${url}: ${status} ${reason}`.trim(), status >= 500 || status === 429)));
    });
    req.on('timeout', () => req.destroy(new PvbootError(`${url}: no answer in ${timeoutMs / 1000} s`, true)));
    req.on('error', (error) => {
      reject(error instanceof PvbootError ? error : new PvbootError(`cannot reach ${url}: ${oneLine(error)}`, true));
    });
    req.end();
  });
}

/** GETs `url` and parses its body as JSON (at most 1 MiB). */
export async function httpGetJson(url: string, timeoutMs: number): Promise<unknown> {
  const { message } = await httpGet(url, timeoutMs);
  let text: string;
  try {
    text = await readText(message, 1 << 20);
  } catch (error) {
    throw error instanceof PvbootError ? error : new PvbootError(`${url}: ${oneLine(error)}`, true);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new PvbootError(`${url}: the answer is not JSON`);
  }
}
