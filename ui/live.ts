/**
 * The live event stream (`GET /api/v1/events/stream`, server-sent events) read with `fetch`, so the token
 * goes in the `Authorization` header (`EventSource` cannot send headers, and a token in the URL would land
 * in logs). The stream reconnects by itself after a failure, waiting 1, 2, 4 … up to 30 s, and reports its
 * state so the page can say when it is not live.
 */
import { authHeaders, getToken, isTokenRefused } from './api.js';
import type { BootEvent } from '../src/timeline/types.js';

/** What the stream is doing. */
export type LiveState = { kind: 'connecting' } | { kind: 'live' } | { kind: 'retrying'; inMs: number; reason: string } | { kind: 'unauthorized'; reason: string };

/** A running stream; `close()` stops it for good. */
export interface LiveStream {
  close(): void;
}

/** Splits an SSE byte stream into events (WHATWG HTML §9.2 "event stream interpretation", `data` lines only). */
export function parseSse(buffer: string): { events: string[]; rest: string } {
  const events: string[] = [];
  let rest = buffer.replace(/\r\n?/g, '\n');
  for (let end = rest.indexOf('\n\n'); end >= 0; end = rest.indexOf('\n\n')) {
    const block = rest.slice(0, end);
    rest = rest.slice(end + 2);
    const data = block
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => line.slice(5).replace(/^ /, ''));
    if (data.length > 0) events.push(data.join('\n'));
  }
  return { events, rest };
}

/** Opens the stream; `onEvent` gets every event, `onState` every change of state. */
export function openLiveStream(onEvent: (event: BootEvent) => void, onState: (state: LiveState) => void, mac?: string): LiveStream {
  let closed = false;
  let controller: AbortController | null = null;
  let failures = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const retry = (reason: string) => {
    if (closed) return;
    const inMs = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
    failures += 1;
    onState({ kind: 'retrying', inMs, reason });
    retryTimer = setTimeout(connect, inMs);
  };

  const connect = async () => {
    if (closed) return;
    onState({ kind: 'connecting' });
    controller = new AbortController();
    try {
      const url = `/api/v1/events/stream${mac ? `?mac=${encodeURIComponent(mac)}` : ''}`;
      const response = await fetch(url, { headers: { accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal, cache: 'no-store', credentials: 'omit' });
      // No token, or a wrong one: retrying cannot help until the token changes (the stream is then reopened).
      if (response.status === 401) {
        onState({ kind: 'unauthorized', reason: 'token needed' });
        return;
      }
      if (response.status === 403) {
        const message = await response
          .json()
          .then((b: { message?: string }) => b.message)
          .catch(() => undefined);
        if (isTokenRefused(403, message, getToken() !== null)) {
          onState({ kind: 'unauthorized', reason: 'wrong token' });
          return;
        }
      }
      if (!response.ok || !response.body) {
        retry(`the server answered ${response.status}`);
        return;
      }
      failures = 0;
      onState({ kind: 'live' });
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        const parsed = parseSse(buffer + value);
        buffer = parsed.rest;
        for (const data of parsed.events) {
          try {
            onEvent(JSON.parse(data) as BootEvent);
          } catch {
            // A malformed event is skipped; the stream goes on.
          }
        }
      }
      retry('the server closed the stream');
    } catch (error) {
      if (!closed) retry(`the connection failed (${(error as Error).message})`);
    }
  };

  void connect();
  return {
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      controller?.abort();
    },
  };
}
