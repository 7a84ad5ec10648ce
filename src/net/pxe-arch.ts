/**
 * PXE client architectures (DHCP option 93, RFC 4578 §2.1; IANA "Processor Architecture Types") and the
 * firmware family each one means. A pure mapping: DHCP reads the code off the wire, `explain` takes it
 * from a query, and both name the same firmware.
 */

/** Firmware family, from DHCP option 93. */
export type Firmware = 'bios' | 'efi-ia32' | 'efi-x64' | 'efi-arm32' | 'efi-arm64' | 'efi-x64-http' | 'unknown';

/**
 * Firmware family from option 93. 7 and 9 are both EFI x86-64: much firmware sends 7, the old "EFI BC"
 * value (boot-protocols.md §2.1).
 */
export function firmwareFromArch(arch: number | undefined): Firmware {
  switch (arch) {
    case undefined:
      return 'unknown';
    case 0:
      return 'bios';
    case 6:
      return 'efi-ia32';
    case 7:
    case 9:
      return 'efi-x64';
    case 10:
      return 'efi-arm32';
    case 11:
      return 'efi-arm64';
    case 16:
      return 'efi-x64-http';
    default:
      return 'unknown';
  }
}
