/**
 * Schema of the `dhcp` config section.
 */
import { Type, type Static } from '@sinclair/typebox';
import { StrictObject } from '../config/types.js';

/** The `dhcp` section. `off` leaves DHCP to another server; `full` and `proxy` are described in DESIGN.md. */
export const DhcpConfigSchema = StrictObject(
  {
    mode: Type.Union([Type.Literal('off'), Type.Literal('full'), Type.Literal('proxy')], { default: 'off' }),
  },
  { description: 'DHCP server' },
);

/** The validated `dhcp` section. */
export type DhcpConfig = Static<typeof DhcpConfigSchema>;
