/**
 * The config loader on any text: `parseConfigText` (YAML or JSON) then `buildConfig` (defaults, schema,
 * cross-field checks). A bad file must give a `ConfigError` or a list of problems, never another
 * exception; a good one a frozen config. Seeds are the YAML examples of the README and `docs/`; the
 * dictionary is every key of the config schema, and YAML's own syntax (anchors, tags, flow collections).
 */
import { buildConfig, ConfigError, formatProblems, parseConfigText } from '../../src/config/load.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { check, type FuzzTarget } from '../engine/target.js';
import { documentedYaml, texts } from './seeds.js';

/** Every property name in a JSON schema, at any depth. */
function schemaKeys(schema: unknown, into = new Set<string>()): Set<string> {
  if (schema === null || typeof schema !== 'object') return into;
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  if (properties) for (const key of Object.keys(properties)) into.add(key);
  for (const value of Object.values(schema as Record<string, unknown>)) schemaKeys(value, into);
  return into;
}

const YAML_SYNTAX = ['\n', '\n  ', '\n- ', ': ', '- ', '{', '}', '[', ']', ', ', '&a ', '*a', '<<: *a', '!!str ', '!!binary ', '!!int ', '!!float ', '!!set ', '!!map ', '!!seq ', '? ', '|\n  ', '>\n  ', '"', "'", '#', '---\n', '...\n', '~', 'null', 'true', '0x1f', '1e9', '-1', '.nan', '.inf', '10.0.0.1', '52:54:00:12:34:56', '10.0.0.0/24'];

/** The config loading target. */
export const configLoad: FuzzTarget = {
  name: 'config-load',
  description: 'parseConfigText + buildConfig on any text: a config or every problem, never another exception',
  maxLength: 8192,
  slowMs: 1000,
  dictionary: [...[...schemaKeys(ConfigSchema)].map((key) => `${key}: `), ...YAML_SYNTAX],
  seeds: () => [
    ...documentedYaml(),
    ...texts('', '{}', 'server:\n  address: 10.0.0.1\n', 'dhcp:\n  enabled: true\n  subnets:\n    - network: 10.0.0.0/24\n      pool: [10.0.0.100, 10.0.0.200]\n', '{"tftp": {"port": 69}}'),
  ],
  run(data) {
    let parsed: unknown;
    try {
      parsed = parseConfigText(data.toString('utf8'), 'fuzz.yaml');
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      check(error.problems.length > 0, 'a ConfigError with no problem');
      return;
    }
    const result = buildConfig(parsed, { baseDir: '/nonexistent-fuzz', source: 'fuzz.yaml', privileged: false });
    if (result.ok) {
      check(Object.isFrozen(result.config) && Object.isFrozen(result.config.dhcp), 'an accepted config is not frozen');
      return;
    }
    check(result.problems.length > 0, 'refused with no problem');
    formatProblems(result.problems, 'fuzz.yaml');
  },
};
