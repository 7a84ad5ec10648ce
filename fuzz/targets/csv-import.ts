/**
 * The host CSV import (`hostsFromCsv`, `parseCsv`) on any text. Checked: nothing throws (an unterminated
 * quote is a problem, not an exception); problems name a line; and the records read back the same after
 * being written out again with every field quoted (RFC 4180), so quoting, `""`, CR, LF and CRLF are read
 * consistently.
 */
import { isDeepStrictEqual } from 'node:util';
import { hostsFromCsv, parseCsv } from '../../src/http/csv.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { texts } from './seeds.js';

function quoted(records: string[][]): string {
  return records.map((record) => record.map((field) => `"${field.replace(/"/g, '""')}"`).join(',')).join('\r\n');
}

/** The CSV import target. */
export const csvImport: FuzzTarget = {
  name: 'csv-import',
  description: 'hostsFromCsv and parseCsv on any text: problems, never exceptions; records survive quoting',
  maxLength: 8192,
  dictionary: ['mac', 'hostname', 'ip', 'profile', 'labels', ',', '"', '""', '\r\n', '\n', '\r', ';', '=', '\ufeff', 'rack=r1;role=dom0', '52:54:00:12:34:56', '10.0.0.5', '__proto__', 'constructor'],
  seeds: () =>
    texts(
      'mac,hostname,ip,profile,labels\n52:54:00:12:34:56,node1,10.0.0.5,xen,rack=r1;role=dom0\n',
      '52:54:00:12:34:57,node2\r\n52:54:00:12:34:58,"node, ""3""",,xen,\r\n',
      '\ufeffmac,profile\n"52:54:00:12:34:59",linux\n\n',
      'mac,labels\n52:54:00:12:34:5a,"a=1;b"\n',
      '"unterminated\n',
    ),
  run(data) {
    const text = data.toString('utf8');
    const { hosts, problems } = hostsFromCsv(text);
    for (const problem of problems) check(/^(line \d+|\(csv\))/.test(problem.path), `problem path "${problem.path}" names no line`);
    for (const host of hosts) check(host !== null && typeof host === 'object', 'a host that is not an object');
    let records: string[][];
    try {
      records = parseCsv(text);
    } catch (error) {
      check(error instanceof Error && /^line \d+: unterminated quoted field$/.test(error.message), () => `parseCsv threw ${String(error)}`);
      return;
    }
    const again = parseCsv(quoted(records));
    check(isDeepStrictEqual(again, records), () => `records change when written out quoted: ${JSON.stringify(records).slice(0, 200)} → ${JSON.stringify(again).slice(0, 200)}`);
  },
};
