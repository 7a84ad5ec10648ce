/**
 * CSV for bulk host import (RFC 4180: `,` separated, `"` quoted, `""` for a quote inside quotes, CRLF or
 * LF line ends). Columns: `mac,hostname,ip,profile,labels`, where labels are `key=value` pairs separated
 * by `;` (`rack=r1;role=dom0`). A first line starting with `mac` is a header and may reorder or omit the
 * optional columns. Pure: text in, rows or problems out.
 */
import type { ConfigProblem } from '../config/types.js';

/** The columns a host CSV may have. */
export const HOST_CSV_COLUMNS = ['mac', 'hostname', 'ip', 'profile', 'labels'] as const;

/** Splits CSV text into records of fields. Throws with a line number on an unterminated quote. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let startLine = 1;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), (i += 1);
      else if (c === '"') quoted = false;
      else {
        if (c === '\n') line += 1;
        field += c;
      }
    } else if (c === '"' && field === '') {
      quoted = true;
      startLine = line;
    } else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i += 1;
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      line += 1;
    } else field += c;
  }
  if (quoted) throw new Error(`line ${startLine}: unterminated quoted field`);
  if (field !== '' || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  // Blank lines carry no host.
  return records.filter((r) => !(r.length === 1 && r[0]!.trim() === ''));
}

/** Turns CSV text into host documents (schema validation comes after); problems name `line N` and the column. */
export function hostsFromCsv(text: string): { hosts: Array<Record<string, unknown>>; problems: ConfigProblem[] } {
  let records: string[][];
  try {
    records = parseCsv(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    return { hosts: [], problems: [{ path: '(csv)', message: (error as Error).message }] };
  }
  let columns: string[] = [...HOST_CSV_COLUMNS];
  let firstLine = 1;
  const problems: ConfigProblem[] = [];
  if (records[0] && records[0][0]?.trim().toLowerCase() === 'mac') {
    columns = records.shift()!.map((c) => c.trim().toLowerCase());
    firstLine = 2;
    columns.forEach((c, i) => {
      if (!(HOST_CSV_COLUMNS as readonly string[]).includes(c)) problems.push({ path: `line 1.column ${i + 1}`, message: `unknown column "${c}"` });
    });
    if (problems.length > 0) return { hosts: [], problems };
  }
  const hosts = records.map((record, r) => {
    const line = firstLine + r;
    if (record.length > columns.length) problems.push({ path: `line ${line}`, message: `${record.length} fields, at most ${columns.length} expected` });
    const host: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      const value = record[i]?.trim() ?? '';
      if (value === '') return;
      if (column !== 'labels') {
        host[column] = value;
        return;
      }
      const labels: Record<string, string> = {};
      for (const pair of value.split(';')) {
        if (pair.trim() === '') continue;
        const eq = pair.indexOf('=');
        if (eq <= 0) problems.push({ path: `line ${line}.labels`, message: `"${pair}" is not key=value` });
        else labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
      }
      host.labels = labels;
    });
    return host;
  });
  return { hosts, problems };
}
