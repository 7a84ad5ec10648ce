/**
 * The window layout and the interface version are written twice, once for TypeScript and once for C.
 * These tests read the C sources and fail when the two sides disagree, whether or not the addon is built.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NATIVE_ADDON_VERSION } from '../../src/tftp/transfer/native/addon.js';
import { WINDOW_LAYOUT, Window } from '../../src/tftp/transfer/window.js';

const native = (file: string) => readFileSync(join(import.meta.dirname, '..', '..', 'native', file), 'utf8');

/** `W_SEND_BUFFER_FULL` → `sendBufferFull`. */
function camelCase(constant: string): string {
  return constant
    .replace(/^W_/, '')
    .toLowerCase()
    .replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

describe('the shared window layout', () => {
  it('lists the same fields in the same order in native/window_layout.h and window.ts', () => {
    const body = /enum\s*\{([^}]*)\}/.exec(native('window_layout.h'))?.[1];
    expect(body, 'an enum in window_layout.h').toBeDefined();
    const names = body!
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    expect(names.at(-1)).toBe('W_FIELDS');
    expect(names.slice(0, -1).map(camelCase)).toEqual([...WINDOW_LAYOUT]);
  });

  it('has one accessor per field, each reading and writing its own slot', () => {
    const window = new Window();
    expect(window.shared.length).toBe(WINDOW_LAYOUT.length);
    const numeric = WINDOW_LAYOUT.filter((name) => name !== 'active' && name !== 'reading' && name !== 'sendBufferFull');
    for (const name of numeric) {
      const index = WINDOW_LAYOUT.indexOf(name);
      (window as unknown as Record<string, number>)[name] = 1000 + index;
      expect(window.shared[index], name).toBe(1000 + index);
    }
    window.active = true;
    window.reading = true;
    expect(window.shared[WINDOW_LAYOUT.indexOf('active')]).toBe(1);
    expect(window.shared[WINDOW_LAYOUT.indexOf('reading')]).toBe(1);
    window.shared[WINDOW_LAYOUT.indexOf('sendBufferFull')] = 7; // written by the addon only
    expect(window.sendBufferFull).toBe(7);
  });
});

describe('the addon interface version', () => {
  it('is the same in native/addon.c and addon.ts', () => {
    const version = /#define XENBOOT_ADDON_VERSION (\d+)/.exec(native('addon.c'))?.[1];
    expect(Number(version)).toBe(NATIVE_ADDON_VERSION);
  });

  it('names the same layout fields in addon.c as accelerate is given', () => {
    const fields = /LAYOUT_FIELDS\[\] = \{([^}]*)\}/.exec(native('addon.c'))?.[1];
    const names = [...(fields ?? '').matchAll(/"([a-zA-Z]+)"/g)].map((m) => m[1]).sort();
    const given: Record<keyof import('../../src/tftp/transfer/native/addon.js').NativeWindowLayout, true> = {
      stride: true,
      ringSlots: true,
      blksize: true,
      size: true,
      lastBlock: true,
      windowsize: true,
      chunkBlocks: true,
      fd: true,
      clockNow: true,
    };
    expect(names).toEqual(Object.keys(given).sort());
  });
});
