/**
 * The JSON schema of `GET /api/v1/explain`'s answer (`Explanation`, `src/explain/explain.ts`), for the
 * OpenAPI document. Fastify also serializes the answer with it, and a serializer leaves out what a schema
 * does not name: `test/http/explain-schema.test.ts` holds this schema to `explainMachine`'s own answer.
 */
import { Type, type TSchema } from '@sinclair/typebox';

const Labels = Type.Record(Type.String(), Type.String());
const nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** One file the client asks for, and the answer. */
const ExplainedFileSchema = Type.Object(
  {
    path: Type.String(),
    via: Type.Union([Type.Literal('tftp'), Type.Literal('http')]),
    result: Type.Union([Type.Literal('text'), Type.Literal('not-found'), Type.Literal('refused'), Type.Literal('static')]),
    why: Type.String(),
    text: Type.Optional(Type.String({ description: 'the rendered file, for `text`' })),
  },
  { additionalProperties: false },
);

/** The explain answer. */
export const ExplanationSchema = Type.Object(
  {
    machine: Type.Object(
      {
        mac: Type.String(),
        uuid: Type.Optional(Type.String()),
        arch: Type.Optional(Type.Integer({ description: 'DHCP option 93' })),
        firmware: Type.Union(['bios', 'efi-ia32', 'efi-x64', 'efi-arm32', 'efi-arm64', 'efi-x64-http', 'unknown'].map((f) => Type.Literal(f))),
        isIpxe: Type.Boolean(),
        ip: Type.Optional(Type.String()),
      },
      { additionalProperties: false },
    ),
    client: Type.String({ description: 'the loader family that boots the machine (pxelinux, ipxe, grub, pypxeboot, …)' }),
    host: nullable(
      Type.Object(
        {
          mac: Type.String(),
          matchedBy: Type.Union([Type.Literal('mac'), Type.Literal('uuid')]),
          hostname: Type.Optional(Type.String()),
          ip: Type.Optional(Type.String()),
          uuid: Type.Optional(Type.String()),
          labels: Labels,
        },
        { additionalProperties: false },
      ),
    ),
    groups: Type.Array(
      Type.Object({ name: Type.String(), selector: Labels, profile: Type.Optional(Type.String()), selected: Type.Boolean() }, { additionalProperties: false }),
    ),
    profile: nullable(Type.Object({ name: Type.String(), kind: Type.String(), source: Type.String() }, { additionalProperties: false })),
    reason: Type.String({ description: 'why this profile (or none), in a sentence' }),
    dhcp: nullable(
      Type.Object(
        {
          bootFile: Type.String({ description: 'file field and option 67' }),
          bootFileRule: Type.Optional(Type.String({ description: 'the rule that picked the boot file' })),
          nextServer: Type.Optional(Type.String({ description: 'siaddr' })),
          pxelinuxConfigFile: Type.Optional(Type.String({ description: 'option 209' })),
          pxelinuxPathPrefix: Type.Optional(Type.String({ description: 'option 210' })),
          hostname: Type.Optional(Type.String({ description: 'option 12' })),
          rootPath: Type.Optional(Type.String({ description: 'option 17' })),
          yiaddr: Type.Optional(Type.String()),
        },
        { additionalProperties: false },
      ),
    ),
    files: Type.Array(ExplainedFileSchema),
    warnings: Type.Array(Type.String(), {
      description: 'what will go wrong although a file renders (for example a kernel too large for the client to fetch)',
    }),
  },
  { additionalProperties: false },
);

/** The query of `GET /api/v1/explain` (checked by the route itself, to answer with its own messages). */
export const ExplainQuerySchema = Type.Object({
  mac: Type.Optional(Type.String({ description: 'required: the MAC, in any usual spelling' })),
  uuid: Type.Optional(Type.String({ description: 'SMBIOS UUID (option 97)' })),
  arch: Type.Optional(Type.String({ description: 'client architecture, DHCP option 93 (0 BIOS, 7 UEFI x64, …)' })),
  ip: Type.Optional(Type.String()),
  userClass: Type.Optional(Type.String({ description: 'option 77, e.g. iPXE' })),
});
