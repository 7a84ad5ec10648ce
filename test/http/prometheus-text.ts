/**
 * A strict parser for the Prometheus text exposition format (version 0.0.4), for tests: every line must be
 * a `# HELP`, a `# TYPE`, a sample or blank; names and labels must be well formed; every sample must
 * belong to a declared family (histogram `_bucket`/`_sum`/`_count` included); values must be numbers.
 * Throws on the first violation with its line number.
 */

/** One sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family. */
export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${JSON.stringify(text)}`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without =`);
    const name = text.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`line ${line}: bad label name ${JSON.stringify(name)}`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j += 1) {
      if (text[j] === '\\') {
        const next = text[j + 1];
        value += next === 'n' ? '\n' : next;
        j += 1;
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`line ${line}: unterminated label value`);
    if (name in labels) throw new Error(`line ${line}: duplicate label ${name}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i += 1;
    else if (i < text.length) throw new Error(`line ${line}: expected , after label`);
  }
  return labels;
}

/** Parses a whole exposition; returns families by name. */
export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const familyOf = (sample: string): Family | undefined => {
    const direct = families.get(sample);
    if (direct) return direct;
    const base = sample.replace(/_(bucket|sum|count)$/, '');
    const family = families.get(base);
    return family && (family.type === 'histogram' || family.type === 'summary') ? family : undefined;
  };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('# HELP ')) {
      const parts = raw.split(' ');
      const metric = parts[2] ?? '';
      if (!NAME.test(metric)) throw new Error(`line ${line}: bad metric name ${metric}`);
      const family = families.get(metric) ?? { name: metric, type: 'untyped', help: '', samples: [] };
      family.help = parts.slice(3).join(' ');
      families.set(metric, family);
      return;
    }
    if (raw.startsWith('# TYPE ')) {
      const [, , metric, type] = raw.split(' ');
      if (!NAME.test(metric ?? '')) throw new Error(`line ${line}: bad metric name ${metric}`);
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`line ${line}: bad type ${type}`);
      const family = families.get(metric!) ?? { name: metric!, type: 'untyped', help: '', samples: [] };
      if (family.samples.length > 0) throw new Error(`line ${line}: TYPE after samples of ${metric}`);
      family.type = type as Family['type'];
      families.set(metric!, family);
      return;
    }
    if (raw.startsWith('#')) return;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(raw);
    if (!match) throw new Error(`line ${line}: not a sample: ${JSON.stringify(raw)}`);
    const [, name, , labelText, value] = match;
    const family = familyOf(name!);
    if (!family) throw new Error(`line ${line}: sample ${name} has no TYPE`);
    family.samples.push({ name: name!, labels: parseLabels(labelText ?? '', line), value: parseValue(value!, line) });
  });
  return families;
}

/** The value of the sample with exactly these labels (undefined when absent). */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return family?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === wanted)?.value;
}
