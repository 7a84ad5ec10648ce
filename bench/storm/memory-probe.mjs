/**
 * Where a server's memory goes during a storm: preloaded into the xenboot server only (`node --import
 * <this file>`, through NODE_OPTIONS, by `bench/storm/run.ts --memory-probe`), it appends one JSON line
 * every 250 ms to the file named by XENBOOT_MEMORY_PROBE: `process.memoryUsage()` (rss, heapTotal,
 * heapUsed, external, arrayBuffers), V8's space sizes, and the RssAnon / RssFile split from
 * /proc/self/status. The file is opened at start, before xenboot switches user, and written through
 * that descriptor. The timer is unref'd: it never keeps the process alive.
 */
import { openSync, readFileSync, writeSync } from 'node:fs';
import { getHeapSpaceStatistics } from 'node:v8';

const path = process.env.XENBOOT_MEMORY_PROBE;
if (path) {
  const fd = openSync(path, 'a');
  const mib = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
  const statusMiB = (status, field) => {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
    return match ? Math.round((Number(match[1]) / 1024) * 10) / 10 : null;
  };
  const sample = () => {
    const usage = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name.replace(/_space$/, ''), mib(s.space_size)]));
    const line = {
      t: Math.round(performance.now()),
      rss: mib(usage.rss),
      rssAnon: statusMiB(status, 'RssAnon'),
      rssFile: statusMiB(status, 'RssFile'),
      heapTotal: mib(usage.heapTotal),
      heapUsed: mib(usage.heapUsed),
      external: mib(usage.external),
      arrayBuffers: mib(usage.arrayBuffers),
      spaces,
    };
    writeSync(fd, JSON.stringify(line) + '\n');
  };
  setInterval(sample, 250).unref();
}
