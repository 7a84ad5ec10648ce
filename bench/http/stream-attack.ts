/**
 * The live-stream attack of issue 17: `clients` connections open `GET /api/v1/events/stream` and never
 * read, while boot events arrive as fast as the loop allows. Prints the process RSS before, at its
 * peak and at the end, and how many streams the server still holds. Events go straight from the bus to
 * the streams (no store), so the figure is the streams' own memory.
 *
 *   npx tsx bench/http/stream-attack.ts [seconds] [clients]
 */
import { connect, type Socket } from 'node:net';
import { buildConfig } from '../../src/config/load.js';
import { EventBus } from '../../src/timeline/bus.js';
import { buildApp } from '../../src/http/app.js';
import { silentLogger } from '../../src/log.js';
import type { EventRecorder } from '../../src/timeline/recorder.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { exitOnHelp } from '../usage.js';

exitOnHelp(import.meta.url);

const seconds = Number(process.argv[2] ?? 20);
const clients = Number(process.argv[3] ?? 256);
const built = buildConfig({ http: { readAccess: 'open' } }, { baseDir: '/tmp', privileged: false });
if (!built.ok) throw new Error(JSON.stringify(built.problems));
const bus = new EventBus();
const store = openSqliteStore(':memory:');
const app = await buildApp({ config: built.config, logger: silentLogger(), events: bus, store, recorder: bus as unknown as EventRecorder });
await app.listen({ host: '127.0.0.1', port: 0 });
const port = (app.server.address() as { port: number }).port;
const sockets: Socket[] = [];
for (let i = 0; i < clients; i++) {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  s.write('GET /api/v1/events/stream HTTP/1.1\r\nHost: x\r\n\r\n');
  s.pause();
  sockets.push(s);
}
await new Promise((r) => setTimeout(r, 1000));
const mb = (bytes: number) => Math.round(bytes / 1e6);
const rssStart = process.memoryUsage().rss;
const path = `/${'x'.repeat(1023)}`;
let emitted = 0;
let peak = rssStart;
for (const end = Date.now() + seconds * 1000; Date.now() < end; ) {
  for (let i = 0; i < 100; i++) bus.emit({ kind: 'http', at: Date.now(), ip: '10.0.0.9', method: 'GET', path, status: 404, bytes: 0, durationMs: 1 });
  emitted += 100;
  await new Promise((r) => setTimeout(r, 5));
  peak = Math.max(peak, process.memoryUsage().rss);
}
let serverStreams = 0;
for (const c of await new Promise<number>((resolve) => app.server.getConnections((_e, n) => resolve(n))).then((n) => [n])) serverStreams = c;
console.log(`${clients} non-reading clients, ${seconds} s, ${emitted} events of ~1.1 KB (${mb(emitted * 1100)} MB per client if buffered)`);
console.log(`RSS: start ${mb(rssStart)} MB, peak ${mb(peak)} MB, end ${mb(process.memoryUsage().rss)} MB; connections still open on the server: ${serverStreams}`);
for (const s of sockets) s.destroy();
await app.close();
await store.close();
