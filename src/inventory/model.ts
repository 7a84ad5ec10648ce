/**
 * The boot inventory's data model: profiles (what a machine boots), hosts (machines by MAC) and groups
 * (label selectors that give hosts a profile). These TypeBox schemas are the single definition used by
 * the config file (`inventory` section), the store and the HTTP API, so they stay plain JSON Schema:
 * no transforms, no defaults that depend on other fields. Identifiers are normalised where they are read
 * (`parseMac`, `parseUuid`), never rewritten by the schema. Cross-field rules live in `checks.ts`.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Ipv4, MacText } from '../net/schema.js';

/** A name usable as a key and in file names: profiles, groups, domUs. */
export const NameText = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$',
  description: 'a name of letters, digits, `.`, `_`, `-` (at most 63 characters)',
});

/**
 * A file path relative to the TFTP root (also served over HTTP): no whitespace (it would split a
 * PXELINUX APPEND), no leading `/`, no `..` segment.
 */
export const BootPathText = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^(?!/)(?!(.*/)?\\.\\.(/|$))\\S+$',
  description: 'a path relative to the TFTP root, without spaces, leading `/` or `..` (e.g. `xen/xen-4.17-amd64.gz`)',
});

/**
 * One kernel or hypervisor argument (`console=hvc0`). A token has no whitespace; it may use Handlebars
 * variables (`nfsroot={{vars.nfsServer}}:/srv/{{host.hostname}}`).
 */
export const ArgText = Type.String({ minLength: 1, maxLength: 1024, pattern: '^\\S+$', description: 'one argument without whitespace' });

/** A list of arguments, kept as separate tokens so renderers and linters see exactly what is passed. */
export const ArgList = Type.Array(ArgText, { maxItems: 128, default: [] });

/** Free-form variables handed to templates as `vars`. */
export const VarsSchema = Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String({ maxLength: 4096 }), {
  description: 'template variables (`vars.NAME`)',
  additionalProperties: false,
});

/** Labels on a host; groups select hosts by them. */
export const LabelsSchema = Type.Record(
  Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$' }),
  Type.String({ pattern: '^[A-Za-z0-9._:/-]{0,63}$' }),
  { description: 'labels, e.g. `{rack: r1, role: dom0}`', additionalProperties: false },
);

/** A serial console: PXELINUX `SERIAL <port> <baud>` (written first), GRUB `serial`. */
export const SerialSchema = Type.Object(
  {
    port: Type.Integer({ minimum: 0, maximum: 3, default: 0, description: '0 = COM1' }),
    baud: Type.Integer({ minimum: 300, maximum: 921600, default: 115200 }),
  },
  { additionalProperties: false },
);

/**
 * The loader families a profile or host may choose as what DHCP hands a machine (`loader.<firmware>`):
 * those the firmware itself loads from a boot file. xen.efi and pypxeboot are reached through another
 * loader or the dom0, never handed by DHCP. `src/boot/loaders/` holds a family of each name.
 */
export const CHOOSABLE_LOADERS = ['pxelinux', 'ipxe', 'grub'] as const;

/** The firmware a loader choice is made for: the keys of `dhcp.boot` (`fallback`: no or unknown option 93). */
export const LOADER_FIRMWARE_KEYS = ['bios', 'efiX64', 'efiIa32', 'efiArm64', 'efiArm32', 'httpX64', 'fallback'] as const;

/**
 * The boot file DHCP hands for a family chosen without a `file`, per firmware; a firmware missing from a
 * family's row cannot be handed that family without naming the file. PXELINUX: Debian's `pxelinux`
 * package (`lpxelinux.0` also fetches `http://` paths; name it as `file`), BIOS only. iPXE: Debian's
 * `ipxe` package (`/usr/lib/ipxe`): `undionly.kpxe` chains through the PXE ROM's UNDI driver, `ipxe.efi`
 * carries its own NIC drivers (`snponly.efi` uses the firmware's). GRUB: the network images `dhcp.boot`
 * names by default (`grub-mkimage`, Debian's `grubnetx64.efi`).
 */
export const LOADER_BOOT_FILES: Readonly<Record<(typeof CHOOSABLE_LOADERS)[number], Readonly<Partial<Record<(typeof LOADER_FIRMWARE_KEYS)[number], string>>>>> = {
  pxelinux: { bios: 'pxelinux.0', fallback: 'pxelinux.0' },
  ipxe: { bios: 'undionly.kpxe', efiX64: 'ipxe.efi', httpX64: 'ipxe.efi', fallback: 'undionly.kpxe' },
  grub: { efiX64: 'grubnetx64.efi', efiIa32: 'grubnetia32.efi', efiArm64: 'grubnetaa64.efi', efiArm32: 'grubnetarm.efi', httpX64: 'grubnetx64.efi' },
};

/**
 * What DHCP hands a machine of one firmware: the family and, when not that family's usual file, the boot
 * file (`lpxelinux.0`, `ipxe/snponly.efi`, a vendor `EFI/xenserver/grubx64.efi`). `config` is for vendor
 * GRUB images that read one fixed path: the machine's own GRUB render is served there, found by the
 * address it leased.
 */
export const LoaderChoiceSchema = Type.Object(
  {
    family: Type.Union(CHOOSABLE_LOADERS.map((name) => Type.Literal(name)), { description: 'pxelinux, ipxe or grub' }),
    file: Type.Optional(
      Type.Union([BootPathText, Type.String({ pattern: '^https?://\\S+$', maxLength: 255 })], {
        description: 'the boot file (`file`, option 67): a path in the TFTP root, or a URL for UEFI HTTP boot',
      }),
    ),
    config: Type.Optional(Type.Union([BootPathText], { description: 'a vendor GRUB image\'s fixed config path (family grub only)' })),
  },
  { additionalProperties: false },
);

/** A loader choice per firmware; a host's choices override its profile's, firmware by firmware. */
export const LoaderChoicesSchema = Type.Object(
  {
    bios: Type.Optional(LoaderChoiceSchema),
    efiX64: Type.Optional(LoaderChoiceSchema),
    efiIa32: Type.Optional(LoaderChoiceSchema),
    efiArm64: Type.Optional(LoaderChoiceSchema),
    efiArm32: Type.Optional(LoaderChoiceSchema),
    httpX64: Type.Optional(LoaderChoiceSchema),
    fallback: Type.Optional(LoaderChoiceSchema),
  },
  { additionalProperties: false, description: 'which loader DHCP hands the machine, per firmware (default: dhcp.boot)' },
);

const common = {
  name: NameText,
  description: Type.Optional(Type.String({ maxLength: 1024 })),
  vars: Type.Optional(VarsSchema),
  loader: Type.Optional(LoaderChoicesSchema),
};

/** dom0 root filesystem: everything in the multiboot initrd. */
export const InitramfsRootSchema = Type.Object({ type: Type.Literal('initramfs') }, { additionalProperties: false });

/**
 * dom0 root over NFS. `initramfs` style (Debian initramfs-tools): `boot=nfs nfsroot=…`; `kernel` style
 * (kernels with CONFIG_IP_PNP/ROOT_NFS): `root=/dev/nfs nfsroot=… ip=dhcp`.
 */
export const NfsRootSchema = Type.Object(
  {
    type: Type.Literal('nfs'),
    server: Type.Optional(Ipv4),
    path: Type.String({ pattern: '^/\\S*$', description: 'an absolute exported directory' }),
    options: Type.Optional(Type.String({ pattern: '^[^\\s,][^\\s]*$', description: 'NFS mount options without spaces, e.g. `vers=3,tcp`' })),
    style: Type.Union([Type.Literal('initramfs'), Type.Literal('kernel')], { default: 'initramfs' }),
  },
  { additionalProperties: false },
);

/**
 * dom0 root over iSCSI. `initramfs` (the default): `root=iscsi:<server>::<port>:<lun>:<target>` (RFC 4173),
 * which Debian open-iscsi's initramfs logs in from (any boot path). `ibft`: iPXE `sanhook` publishes an
 * iBFT the initramfs logs in from (iPXE only); a PV dom0 kernel older than Linux 6.5 does not find the
 * iBFT under Xen (docs/profiles.md, test/e2e/netroot-iscsi-ibft.slow.test.ts).
 */
export const IscsiRootSchema = Type.Object(
  {
    type: Type.Literal('iscsi'),
    server: Type.Optional(Ipv4),
    port: Type.Integer({ minimum: 1, maximum: 65535, default: 3260 }),
    target: Type.String({ pattern: '^(iqn|eui|naa)\\.\\S+$', description: 'an iSCSI name (iqn.…)' }),
    lun: Type.Integer({ minimum: 0, maximum: 255, default: 0 }),
    initiator: Type.Optional(Type.String({ pattern: '^(iqn|eui|naa)\\.\\S+$' })),
    style: Type.Union([Type.Literal('initramfs'), Type.Literal('ibft')], { default: 'initramfs' }),
  },
  { additionalProperties: false },
);

/** Where a diskless dom0 finds its root filesystem. */
export const RootSchema = Type.Union([InitramfsRootSchema, NfsRootSchema, IscsiRootSchema]);

/** A diskless Xen dom0: hypervisor, dom0 kernel and initrds, root filesystem. */
export const XenDom0ProfileSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('xen-dom0'),
    xen: Type.Object(
      {
        image: BootPathText,
        uncompressed: Type.Optional(BootPathText),
        efi: Type.Optional(BootPathText),
        args: ArgList,
      },
      {
        additionalProperties: false,
        description: 'image: multiboot Xen (xen.gz is fine for PXELINUX/GRUB); uncompressed: for iPXE; efi: xen.efi',
      },
    ),
    dom0: Type.Object(
      {
        kernel: BootPathText,
        args: ArgList,
        initrds: Type.Array(BootPathText, { maxItems: 6, default: [] }),
      },
      { additionalProperties: false },
    ),
    root: Type.Optional(RootSchema),
    serial: Type.Optional(SerialSchema),
    bootif: Type.Boolean({ default: true, description: 'write BOOTIF=01-<mac> into the dom0 arguments' }),
    ip: Type.Union([Type.Literal('none'), Type.Literal('dhcp'), Type.Literal('static')], {
      default: 'none',
      description: 'write ip=… into the dom0 arguments: dhcp, or static from the host address',
    }),
    gateway: Type.Optional(Ipv4),
    netmask: Type.Optional(Ipv4),
  },
  { additionalProperties: false },
);

/** One domU disk, rendered in xl's positional form `phy:/dev/vg/lv,xvda,w`. */
export const DomuDiskSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('phy'), Type.Literal('file'), Type.Literal('tap:aio'), Type.Literal('tap:qcow')], { default: 'phy' }),
    target: Type.String({ pattern: '^/[^\\s,]*$', description: 'an absolute device or image path without commas (may use {{name}})' }),
    vdev: Type.String({ pattern: '^(xvd|hd|sd)[a-z]+[0-9]*$', default: 'xvda' }),
    access: Type.Union([Type.Literal('w'), Type.Literal('r')], { default: 'w' }),
  },
  { additionalProperties: false },
);

/** The dom0 bootloaders a `xen-domu` profile can be booted by: pypxeboot (xm) and xenboot-pvboot (xl). */
export const DOMU_BOOTLOADERS = ['pypxeboot', 'pvboot'] as const;

/** A dom0 bootloader a `xen-domu` profile serves. */
export type DomuBootloader = (typeof DOMU_BOOTLOADERS)[number];

/** A PV domU booted over the network by pypxeboot (xm) or xenboot-pvboot (xl). */
export const XenDomuProfileSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('xen-domu'),
    kernel: BootPathText,
    initrd: Type.Optional(BootPathText),
    args: ArgList,
    memory: Type.Integer({ minimum: 32, maximum: 16_777_216, default: 512, description: 'MiB' }),
    vcpus: Type.Integer({ minimum: 1, maximum: 512, default: 1 }),
    bridge: Type.String({ pattern: '^[A-Za-z0-9_.-]{1,15}$', default: 'xenbr0' }),
    disks: Type.Array(DomuDiskSchema, { minItems: 1, maxItems: 16, description: 'xl and xm refuse a bootloader without a disk' }),
    bootloader: Type.String({ pattern: '^\\S+$', default: 'xenboot-pvboot', description: 'bootloader= in generated xl configs' }),
    bootloaders: Type.Optional(
      Type.Array(Type.Union(DOMU_BOOTLOADERS.map((name) => Type.Literal(name)), { description: 'pypxeboot or pvboot' }), {
        maxItems: 2,
        description: 'which dom0 bootloaders the profile is served to (default both): pypxeboot gets the linted PXELINUX file, pvboot the boot spec',
      }),
    ),
  },
  { additionalProperties: false },
);

/** True when `profile` is served to `bootloader` (`bootloaders` absent: to both). */
export function servesBootloader(profile: Pick<XenDomuProfile, 'bootloaders'>, bootloader: DomuBootloader): boolean {
  return profile.bootloaders === undefined || profile.bootloaders.includes(bootloader);
}

/** A plain Linux kernel and initrds. */
export const LinuxProfileSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('linux'),
    kernel: BootPathText,
    initrds: Type.Array(BootPathText, { maxItems: 6, default: [] }),
    args: ArgList,
    serial: Type.Optional(SerialSchema),
  },
  { additionalProperties: false },
);

/** Boot from the local disk (PXELINUX `LOCALBOOT 0`, iPXE/GRUB `exit`). */
export const LocalbootProfileSchema = Type.Object({ ...common, kind: Type.Literal('localboot') }, { additionalProperties: false });

/** Template name in the user template directory (without `.hbs`). */
export const TemplateNameText = Type.String({ pattern: '^(?!(.*/)?\\.\\.(/|$))[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$' });

/** A profile rendered by the user's own templates, one per boot path it supports. */
export const CustomProfileSchema = Type.Object(
  {
    ...common,
    kind: Type.Literal('custom'),
    templates: Type.Object(
      {
        pxelinux: Type.Optional(TemplateNameText),
        ipxe: Type.Optional(TemplateNameText),
        grub: Type.Optional(TemplateNameText),
        xenCfg: Type.Optional(TemplateNameText),
      },
      { additionalProperties: false, description: 'template names in inventory.templateDir' },
    ),
  },
  { additionalProperties: false },
);

/** Every profile kind. */
export const PROFILE_KINDS = ['xen-dom0', 'xen-domu', 'linux', 'localboot', 'custom'] as const;

/** The schema of each profile kind, for precise validation once `kind` is known. */
export const profileSchemaByKind: Readonly<Record<ProfileKind, TSchema>> = {
  'xen-dom0': XenDom0ProfileSchema,
  'xen-domu': XenDomuProfileSchema,
  linux: LinuxProfileSchema,
  localboot: LocalbootProfileSchema,
  custom: CustomProfileSchema,
};

/** A profile: a union discriminated by `kind`. */
export const ProfileSchema = Type.Union(
  [XenDom0ProfileSchema, XenDomuProfileSchema, LinuxProfileSchema, LocalbootProfileSchema, CustomProfileSchema],
  { description: 'what a machine boots; `kind` selects the fields' },
);

/**
 * A host's baseboard management controller, for power control (`src/power/`). Credentials are never
 * here: `credentials` names an entry of the secrets file (`power.secretsFile`) or the environment
 * (`XENBOOT_BMC_<NAME>_USERNAME`, `…_PASSWORD`).
 */
export const BmcSchema = Type.Object(
  {
    protocol: Type.Union([Type.Literal('ipmi'), Type.Literal('redfish')], { description: 'ipmi: IPMI 2.0 over LAN (ipmitool lanplus); redfish: HTTPS' }),
    address: Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$', description: 'the BMC\'s address or host name' }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'default 623 (IPMI) or 443 (Redfish)' })),
    credentials: NameText,
    firmware: Type.Union([Type.Literal('bios'), Type.Literal('uefi')], { default: 'bios', description: 'how the host boots: the network-boot override names it (IPMI EFI flag, Redfish BootSourceOverrideMode)' }),
    system: Type.Optional(Type.String({ pattern: '^/redfish/v1/Systems/[A-Za-z0-9._~-]+$', description: 'Redfish: the ComputerSystem (default: the only member of /redfish/v1/Systems)' })),
    tlsVerify: Type.Boolean({ default: true, description: 'Redfish: check the BMC\'s certificate (against `ca` when given, else the system CAs)' }),
    ca: Type.Optional(Type.String({ minLength: 1, maxLength: 4096, description: 'Redfish: a PEM file of the CA (or the self-signed certificate) the BMC presents' })),
  },
  { additionalProperties: false },
);

/** A machine, keyed by MAC (any spelling on input; canonical `aa:bb:cc:dd:ee:ff` after `parseMac`). */
export const HostSchema = Type.Object(
  {
    mac: MacText,
    uuid: Type.Optional(Type.String({ format: 'uuid', description: 'SMBIOS UUID (either byte order)' })),
    hostname: Type.Optional(Type.String({ pattern: '^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$' })),
    ip: Type.Optional(Ipv4),
    profile: Type.Optional(NameText),
    labels: Type.Optional(LabelsSchema),
    vars: Type.Optional(VarsSchema),
    loader: Type.Optional(LoaderChoicesSchema),
    bmc: Type.Optional(BmcSchema),
  },
  { additionalProperties: false },
);

/** A label selector with a profile and variables for the hosts it matches (every label must match). */
export const GroupSchema = Type.Object(
  {
    name: NameText,
    selector: LabelsSchema,
    profile: Type.Optional(NameText),
    vars: Type.Optional(VarsSchema),
  },
  { additionalProperties: false },
);

/** What a machine that is not in the inventory gets. */
export const UnknownPolicySchema = Type.Object(
  {
    boot: Type.Union([Type.Literal('nothing'), Type.Literal('localboot'), Type.Literal('profile')], {
      default: 'nothing',
      description: 'nothing: no answer (TFTP ERROR 1, no DHCP boot file); localboot; profile: the profile named below',
    }),
    profile: Type.Optional(NameText),
  },
  { additionalProperties: false },
);

/** A profile kind name. */
export type ProfileKind = (typeof PROFILE_KINDS)[number];
/** A `xen-dom0` profile. */
export type XenDom0Profile = Static<typeof XenDom0ProfileSchema>;
/** A `xen-domu` profile. */
export type XenDomuProfile = Static<typeof XenDomuProfileSchema>;
/** A `linux` profile. */
export type LinuxProfile = Static<typeof LinuxProfileSchema>;
/** A `localboot` profile. */
export type LocalbootProfile = Static<typeof LocalbootProfileSchema>;
/** A `custom` profile. */
export type CustomProfile = Static<typeof CustomProfileSchema>;
/** Any profile. */
export type Profile = Static<typeof ProfileSchema>;
/** A dom0 root filesystem choice. */
export type Root = Static<typeof RootSchema>;
/** A domU disk. */
export type DomuDisk = Static<typeof DomuDiskSchema>;
/** A serial console. */
export type Serial = Static<typeof SerialSchema>;
/** A host as written (MAC in any spelling). */
export type Host = Static<typeof HostSchema>;
/** A host's BMC. */
export type Bmc = Static<typeof BmcSchema>;
/** A group. */
export type Group = Static<typeof GroupSchema>;
/** The unknown-machine policy. */
export type UnknownPolicy = Static<typeof UnknownPolicySchema>;
/** Template variables. */
export type Vars = Static<typeof VarsSchema>;
/** Host labels. */
export type Labels = Static<typeof LabelsSchema>;
/** One loader choice. */
export type LoaderChoice = Static<typeof LoaderChoiceSchema>;
/** Loader choices by firmware key. */
export type LoaderChoices = Static<typeof LoaderChoicesSchema>;
/** A firmware key of `loader` (and of `dhcp.boot`). */
export type LoaderFirmwareKey = (typeof LOADER_FIRMWARE_KEYS)[number];

/**
 * An inventory as one source holds it: the config file's `inventory` section, the store's documents, or
 * both merged. The checks judge this shape and the snapshot (`snapshot.ts`) is built from it.
 */
export interface InventoryDocuments {
  profiles: readonly Profile[];
  hosts: readonly Host[];
  groups: readonly Group[];
  /** What unknown machines get; only the config file sets this. */
  unknown?: UnknownPolicy;
}
